#include "frontend/onnx/dynamic_batch.h"

#include <map>

namespace mlexport::frontend::onnx {

namespace {

// Under dynamic_batch, dim 0 of inputs and outputs becomes a symbol: inputs whose dim 0 has the
// same size share one ("batch_size" for the first), as the TorchScript frontend names them.
class BatchSymbols {
 public:
  std::string for_input(int64_t size, size_t k) {
    auto it = by_size_.find(size);
    if (it == by_size_.end())
      it = by_size_
               .emplace(size,
                        by_size_.empty() ? "batch_size" : "input_" + std::to_string(k) + "_dim0")
               .first;
    return it->second;
  }
  std::string for_output(int64_t size, size_t k) const {
    auto it = by_size_.find(size);
    if (it != by_size_.end()) return it->second;
    return by_size_.empty() ? "batch_size" : "output_" + std::to_string(k) + "_dim0";
  }

 private:
  std::map<int64_t, std::string> by_size_;
};

::onnx::TensorShapeProto_Dimension* fixed_dim0(::onnx::ValueInfoProto& vi) {
  if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape()) return nullptr;
  auto* shape = vi.mutable_type()->mutable_tensor_type()->mutable_shape();
  if (shape->dim_size() == 0 || !shape->dim(0).has_dim_value()) return nullptr;
  return shape->mutable_dim(0);
}

}  // namespace

void make_batch_dynamic(::onnx::GraphProto& g, const std::set<std::string>& initializers) {
  BatchSymbols symbols;
  size_t k = 0;
  for (auto& vi : *g.mutable_input()) {
    if (initializers.count(vi.name())) continue;
    if (auto* d = fixed_dim0(vi)) d->set_dim_param(symbols.for_input(d->dim_value(), k));
    ++k;
  }
  for (int i = 0; i < g.output_size(); ++i)
    if (auto* d = fixed_dim0(*g.mutable_output(i)))
      d->set_dim_param(symbols.for_output(d->dim_value(), static_cast<size_t>(i)));
  g.clear_value_info();
}

}  // namespace mlexport::frontend::onnx
