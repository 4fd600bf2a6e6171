// The IR op registry: the one definition of each op the IR uses — its operands and attributes,
// traits, shape and element-type rule, constant evaluator, and the first ONNX opset that has it.
// Passes, the verifier, the emitters and docs/operators.md all read it; a new IR op is one entry
// here plus one row per emitter.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"

namespace mlexport::ir::ops {

enum class AttrKind { Int, Float, String, Ints, Floats, Strings, Tensor, Graph };
std::string_view attr_kind_name(AttrKind kind);

struct AttrSpec {
  std::string_view name;
  AttrKind kind;
  // The ONNX opset that first has this attribute (0: every opset the op exists in). Below it only
  // the attribute's default can be written.
  int onnx_since = 0;
  // The ONNX opset from which this IR attribute is an input of the ONNX op (0: never). The IR keeps
  // it an attribute when known at export time; the ONNX emitter moves it.
  int onnx_input_from = 0;
};
// onnx_since of an attribute that only the IR has (If/Loop's `captures`): emitters consume it.
constexpr int kIrOnly = -1;

enum Trait : uint32_t {
  kNoTraits = 0,
  kKeepsShapeAndType = 1u << 0,   // output 0 has input 0's shape and element type
  kBroadcasting = 1u << 1,        // inputs broadcast numpy-style to the output's shape
  kComparison = 1u << 2,          // ... and the output is bool
  kHasSubgraphs = 1u << 3,        // If / Loop
  kDataDependentShape = 1u << 4,  // an output's size is known only when the graph runs
  kQuantized = 1u << 5,
};

// The element type of an output.
enum class TypeRule {
  Input0,  // input 0's type
  Input1,  // input 1's type (Where's branches)
  Bool,
  Int64,
  FromAttrTo,  // Cast: ir::DType in `to`
  FromValue,   // ConstantOfShape: the `value` tensor's type (float32 when absent)
  Unknown,     // left to the frontend
};

constexpr int kVariadic = 1 << 20;

// One value of a small integer tensor that carries a shape as data (the output of Shape, then
// Gather, Concat...): a known integer (any sign: Reshape reads -1), a named size, or unknown.
struct ShapeElement {
  std::optional<int64_t> value;
  std::string symbol;  // when value is unset; empty: unknown

  static ShapeElement of(const Dim& d) {
    return d.is_fixed() ? ShapeElement{d.size, {}} : ShapeElement{std::nullopt, d.symbol};
  }
  // As a dimension: a negative value is not a size, so it is unknown.
  Dim dim() const {
    if (value) return *value >= 0 ? Dim::fixed(*value) : Dim{};
    return symbol.empty() ? Dim{} : Dim::named(symbol);
  }
  bool operator==(const ShapeElement&) const = default;
};
using ShapeElements = std::vector<ShapeElement>;
// Longer integer tensors are data, not shapes: not followed element by element.
constexpr int64_t kMaxShapeElements = 64;

// What a shape rule may ask about a node's inputs.
class ShapeEnv {
 public:
  virtual ~ShapeEnv() = default;
  // The shape of `v` when its rank is known.
  virtual const Shape* shape(const Value* v) const = 0;
  // The values of `v` when it is an integer constant.
  std::optional<std::vector<int64_t>> ints(const Value* v) const;
  // The values of a small integer tensor computed from shapes, or of an integer constant.
  virtual std::optional<ShapeElements> elements(const Value* v) const;
};

// Output shapes of a node (one per output, in order), or nullopt when not even the ranks follow.
using ShapeRule = std::optional<std::vector<Shape>> (*)(const Node& node, const ShapeEnv& env);
// The output of a node whose inputs are all constants, or nullopt when this rule does not apply
// to these inputs (their dtype, an attribute...).
using Evaluator = std::optional<Tensor> (*)(const Node& node, const std::vector<Tensor>& inputs);

// The elements of output 0 (see ShapeEnv::elements), when they follow from its inputs'.
using ValueRule = std::optional<ShapeElements> (*)(const Node& node, const ShapeEnv& env);

struct OpDef {
  std::string_view name;
  int min_inputs = 1, max_inputs = 1;
  int min_outputs = 1, max_outputs = 1;
  uint32_t traits = kNoTraits;
  std::vector<AttrSpec> attrs;
  int onnx_since = 1;                          // first ONNX opset (default domain) that has the op
  TypeRule type = TypeRule::Input0;            // of output 0
  TypeRule later_outputs = TypeRule::Unknown;  // of the other outputs
  ShapeRule shape = nullptr;
  Evaluator evaluate = nullptr;
  ValueRule shape_value = nullptr;  // for ops that carry shapes as data (shape_values.cpp)
  // Why the OpenVINO emitter has no row for this op ("" when it has one).
  std::string_view no_openvino;

  bool has(Trait t) const { return (traits & t) != 0; }
  const AttrSpec* attr(std::string_view key) const;
};

// The definition of `op`, or null for an op the IR does not define (an op carried through
// unchanged from an ONNX file is checked by ONNX's own checker instead).
const OpDef* find(std::string_view op);
// Every definition, sorted by name.
std::span<const OpDef> all();

// Problems of one node against its definition (op known, operand counts, attribute names and
// kinds); empty when it matches.
std::vector<std::string> check_node(const Node& node);

}  // namespace mlexport::ir::ops
