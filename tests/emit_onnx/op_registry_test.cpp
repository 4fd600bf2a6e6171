// The IR op registry against ONNX's own schemas (libonnx 1.12, opsets up to 17): the first opset
// of each op and of each late attribute, and the kinds of the attributes written as they are.
#include <gtest/gtest.h>
#include <onnx/defs/schema.h>

#include <string>

#include "ir/ops/op_def.h"

namespace mlexport::ir::ops {
namespace {

constexpr int kLatest = 17;

const onnx::OpSchema* schema(std::string_view op, int opset) {
  return onnx::OpSchemaRegistry::Schema(std::string(op), opset, "");
}

bool kind_matches(onnx::AttributeProto::AttributeType type, AttrKind kind) {
  using A = onnx::AttributeProto;
  switch (kind) {
    case AttrKind::Int:
      return type == A::INT;
    case AttrKind::Float:
      return type == A::FLOAT;
    case AttrKind::String:
      return type == A::STRING;
    case AttrKind::Ints:
      return type == A::INTS;
    case AttrKind::Floats:
      return type == A::FLOATS;
    case AttrKind::Strings:
      return type == A::STRINGS;
    case AttrKind::Tensor:
      return type == A::TENSOR;
    case AttrKind::Graph:
      return type == A::GRAPH;
  }
  return false;
}

TEST(OpRegistry, FirstOnnxOpsetOfEachOpMatchesOnnx) {
  for (const OpDef& def : all()) {
    SCOPED_TRACE(std::string(def.name));
    ASSERT_GE(def.onnx_since, 1);
    if (def.onnx_since > kLatest) {
      EXPECT_EQ(schema(def.name, kLatest), nullptr) << "ONNX has it by opset 17";
      continue;
    }
    const onnx::OpSchema* first = schema(def.name, def.onnx_since);
    ASSERT_NE(first, nullptr) << "no schema at opset " << def.onnx_since;
    EXPECT_EQ(first->SinceVersion(), def.onnx_since)
        << "ONNX has it since " << first->SinceVersion();
  }
}

TEST(OpRegistry, AttributesAreOnnxAttributesOfTheSameKind) {
  for (const OpDef& def : all()) {
    if (def.onnx_since > kLatest) continue;
    for (const AttrSpec& a : def.attrs) {
      SCOPED_TRACE(std::string(def.name) + "." + std::string(a.name));
      if (a.onnx_since == kIrOnly || a.onnx_since > kLatest) continue;
      // Where ONNX made it an input, the IR's attribute is its form just before.
      int opset =
          a.onnx_input_from && a.onnx_input_from <= kLatest ? a.onnx_input_from - 1 : kLatest;
      const onnx::OpSchema* s = schema(def.name, opset);
      if (!s || s->SinceVersion() < def.onnx_since) continue;  // an input from the op's start
      auto it = s->attributes().find(std::string(a.name));
      ASSERT_NE(it, s->attributes().end()) << "not an attribute at opset " << opset;
      EXPECT_TRUE(kind_matches(it->second.type, a.kind));
      if (a.onnx_since > def.onnx_since) {
        const onnx::OpSchema* before = schema(def.name, a.onnx_since - 1);
        ASSERT_NE(before, nullptr);
        EXPECT_EQ(before->attributes().count(std::string(a.name)), 0u)
            << "already an attribute at opset " << a.onnx_since - 1;
        const onnx::OpSchema* at = schema(def.name, a.onnx_since);
        EXPECT_EQ(at->attributes().count(std::string(a.name)), 1u)
            << "not yet an attribute at opset " << a.onnx_since;
      }
    }
  }
}

TEST(OpRegistry, AttributesMovedToInputsAreInputsThere) {
  for (const OpDef& def : all()) {
    for (const AttrSpec& a : def.attrs) {
      if (!a.onnx_input_from || a.onnx_input_from > kLatest) continue;
      SCOPED_TRACE(std::string(def.name) + "." + std::string(a.name));
      const onnx::OpSchema* s = schema(def.name, a.onnx_input_from);
      ASSERT_NE(s, nullptr);
      EXPECT_EQ(s->attributes().count(std::string(a.name)), 0u);
      EXPECT_GT(s->max_input(), 1);
    }
  }
}

}  // namespace
}  // namespace mlexport::ir::ops
