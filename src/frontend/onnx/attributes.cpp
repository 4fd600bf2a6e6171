#include "frontend/onnx/attributes.h"

#include "frontend/onnx/tensors.h"

namespace mlexport::frontend::onnx {

namespace {

using AP = ::onnx::AttributeProto;

// Files written before `type` was required say what they hold only by the field they fill.
AP::AttributeType kind_of(const AP& a) {
  if (a.type() != AP::UNDEFINED) return a.type();
  if (a.has_f()) return AP::FLOAT;
  if (a.has_i()) return AP::INT;
  if (a.has_s()) return AP::STRING;
  if (a.has_t()) return AP::TENSOR;
  if (a.has_g()) return AP::GRAPH;
  if (a.floats_size()) return AP::FLOATS;
  if (a.ints_size()) return AP::INTS;
  if (a.strings_size()) return AP::STRINGS;
  if (a.graphs_size()) return AP::GRAPHS;
  return AP::UNDEFINED;
}

}  // namespace

std::optional<ir::Attribute> attribute_from_proto(const AP& a, const ExternalData& external,
                                                  const std::string& what, std::string* why) {
  switch (kind_of(a)) {
    case AP::FLOAT:
      return ir::Attribute(static_cast<double>(a.f()));
    case AP::INT:
      return ir::Attribute(static_cast<int64_t>(a.i()));
    case AP::STRING:
      return ir::Attribute(a.s());
    case AP::FLOATS:
      return ir::Attribute(std::vector<double>(a.floats().begin(), a.floats().end()));
    case AP::INTS:
      return ir::Attribute(std::vector<int64_t>(a.ints().begin(), a.ints().end()));
    case AP::STRINGS:
      return ir::Attribute(std::vector<std::string>(a.strings().begin(), a.strings().end()));
    case AP::TENSOR:
      return ir::Attribute(tensor_from_proto(a.t(), external, what + " attribute " + a.name()));
    case AP::GRAPH:
    case AP::GRAPHS:
      *why = "subgraphs (If/Loop/Scan bodies) are not supported";
      return std::nullopt;
    case AP::SPARSE_TENSOR:
    case AP::SPARSE_TENSORS:
      *why = "sparse tensor attribute '" + a.name() + "' is not supported";
      return std::nullopt;
    case AP::TYPE_PROTO:
    case AP::TYPE_PROTOS:
      *why = "type attribute '" + a.name() + "' (sequences, optionals) is not supported";
      return std::nullopt;
    case AP::TENSORS:
      *why = "tensor-list attribute '" + a.name() + "' is not supported";
      return std::nullopt;
    default:
      *why = "attribute '" + a.name() + "' has no value";
      return std::nullopt;
  }
}

}  // namespace mlexport::frontend::onnx
