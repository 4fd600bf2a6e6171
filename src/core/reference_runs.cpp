#include "core/reference_runs.h"

#include <algorithm>

namespace mlexport::core {
namespace {

bool same_tensors(const std::vector<ir::Tensor>& a, const std::vector<ir::Tensor>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const ir::Tensor& x, const ir::Tensor& y) {
                      return x.dtype == y.dtype && x.shape == y.shape && *x.bytes == *y.bytes;
                    });
}

std::vector<ir::Tensor> deep_copy(const std::vector<ir::Tensor>& tensors) {
  std::vector<ir::Tensor> out;
  for (const ir::Tensor& t : tensors) {
    ir::Tensor copy = t;
    copy.bytes = std::make_shared<std::vector<std::byte>>(*t.bytes);
    out.push_back(std::move(copy));
  }
  return out;
}

}  // namespace

std::vector<ir::Tensor> ReferenceRuns::run(runtime::Reference& reference,
                                           const std::vector<ir::Tensor>& inputs) {
  for (const auto& [seen, outputs] : recent_)
    if (same_tensors(seen, inputs)) return deep_copy(outputs);
  std::vector<ir::Tensor> outputs = reference.run(inputs);
  recent_.emplace_back(deep_copy(inputs), deep_copy(outputs));
  if (recent_.size() > kKept) recent_.pop_front();
  return outputs;
}

}  // namespace mlexport::core
