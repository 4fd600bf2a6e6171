// The shared library's own symbol: everything else comes from the static libraries it wraps.
namespace mlexport {
const char* library_version() {
  return MLEXPORT_VERSION;
}
}  // namespace mlexport
