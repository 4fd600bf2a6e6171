// A user's own TORCH_LIBRARY operator library, as `--ops_library` loads it: registers
// mlexport_test::twice (x * 2). The CLI tests trace a module calling it and check that the archive
// loads only with the library given.
#include <ATen/ATen.h>
#include <torch/library.h>

namespace {

at::Tensor twice(const at::Tensor& x) {
  return x * 2;
}

}  // namespace

TORCH_LIBRARY(mlexport_test, m) {
  m.def("twice(Tensor x) -> Tensor");
}

TORCH_LIBRARY_IMPL(mlexport_test, CPU, m) {
  m.impl("twice", twice);
}
