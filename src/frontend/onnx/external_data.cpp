#include "frontend/onnx/external_data.h"

#include <charconv>
#include <fstream>
#include <optional>

#include "mlexport/diagnostics.h"

namespace mlexport::frontend::onnx {

namespace fs = std::filesystem;

namespace {

struct Entry {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
};

uint64_t parse_count(const std::string& text, const std::string& key, const std::string& what) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    throw bad_input(what + ": external data " + key + " '" + text + "' is not a byte count");
  return value;
}

Entry parse_entry(const ::onnx::TensorProto& t, const std::string& what) {
  Entry e;
  for (const auto& kv : t.external_data()) {
    if (kv.key() == "location")
      e.location = kv.value();
    else if (kv.key() == "offset")
      e.offset = parse_count(kv.value(), "offset", what);
    else if (kv.key() == "length")
      e.length = parse_count(kv.value(), "length", what);
  }
  if (e.location.empty()) throw bad_input(what + ": external data without a location");
  return e;
}

// A relative path without "..", resolved inside `folder` even through symbolic links.
fs::path safe_location(const fs::path& folder, const std::string& location,
                       const std::string& what) {
  const fs::path rel(location);
  auto refuse = [&](const std::string& why) {
    return bad_input(what + ": external data location '" + location + "' " + why);
  };
  if (location.find('\0') != std::string::npos) throw refuse("holds a NUL byte");
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory())
    throw refuse("is absolute; it must be relative to the model's folder");
  for (const auto& part : rel)
    if (part == "..") throw refuse("leaves the model's folder ('..')");
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(folder, ec);
  if (ec) throw bad_input(what + ": cannot resolve the model's folder: " + ec.message());
  const fs::path target = fs::weakly_canonical(folder / rel, ec);
  if (ec) throw refuse("cannot be resolved: " + ec.message());
  // Symbolic links are followed by weakly_canonical: the result must still be inside.
  auto r = root.begin();
  auto t = target.begin();
  for (; r != root.end(); ++r, ++t)
    if (t == target.end() || *r != *t) throw refuse("leads outside the model's folder");
  if (!fs::is_regular_file(target, ec)) throw refuse("does not name a file beside the model");
  return target;
}

}  // namespace

ExternalData::ExternalData(fs::path model_folder) : folder_(std::move(model_folder)) {}

ExternalData::Range ExternalData::locate(const ::onnx::TensorProto& t, size_t bytes,
                                         const std::string& what) const {
  const Entry e = parse_entry(t, what);
  const fs::path file = safe_location(folder_, e.location, what);
  std::error_code ec;
  const uint64_t size = fs::file_size(file, ec);
  if (ec) throw bad_input(what + ": cannot read external data " + e.location + ": " + ec.message());
  const uint64_t length = e.length.value_or(size >= e.offset ? size - e.offset : 0);
  if (length != bytes)
    throw bad_input(what + ": external data holds " + std::to_string(length) +
                    " bytes but the tensor's dtype and shape need " + std::to_string(bytes));
  if (e.offset > size || length > size - e.offset)
    throw bad_input(what + ": external data range " + std::to_string(e.offset) + "+" +
                    std::to_string(length) + " is past the end of " + e.location + " (" +
                    std::to_string(size) + " bytes)");
  return Range{file, e.location, e.offset, length};
}

void ExternalData::read(const Range& range, std::byte* out, const std::string& what) const {
  if (range.length == 0) return;
  std::ifstream in(range.file, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(range.offset));
  in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(range.length));
  if (!in) throw bad_input(what + ": cannot read external data " + range.location);
}

}  // namespace mlexport::frontend::onnx
