// Small helpers for hand-built IR graphs in the OpenVINO tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "roundtrip.h"

namespace mlexport::testing {

using ir::Attribute;
using ir::DType;
using ir::Graph;
using ir::Tensor;
using ir::Value;

// One node; its first output gets `dtype` (shapes are left to inference, as frontends often do).
inline Value* op_(Graph& g, const std::string& kind, std::vector<Value*> ins,
                  std::map<std::string, Attribute> attrs = {}, DType dtype = DType::Float32) {
  ir::Node* n = g.add_node(kind, std::move(ins), 1, std::move(attrs));
  n->outputs[0]->dtype = dtype;
  return n->outputs[0];
}

inline Value* input(Graph& g, const std::vector<int64_t>& shape, DType dtype = DType::Float32,
                    const std::string& name = "x") {
  return g.add_input(name, dtype, ir::fixed_shape(shape));
}

inline Value* ints(Graph& g, const std::vector<int64_t>& v, const std::string& hint = "c") {
  return g.add_constant(Tensor::vector_int64(v), hint);
}

inline Value* scalar(Graph& g, double v, DType dtype = DType::Float32) {
  return g.add_constant(Tensor::scalar_of(dtype, v), "s");
}

// Emits, round-trips and compares; returns the result for further checks.
inline RoundTrip expect_same(const Graph& g, double tol = 1e-5,
                             const emit::OpenVinoOptions& options = {}, unsigned seed = 1) {
  RoundTrip rt = round_trip(g, random_inputs(g, seed), options);
  EXPECT_LE(rt.max_abs_diff, tol);
  return rt;
}

// Counts `<layer ... type="T" version="V"` in the written XML.
inline int count_layers(const std::string& xml, const std::string& type,
                        const std::string& version = "") {
  std::string needle = "type=\"" + type + "\"";
  if (!version.empty()) needle += " version=\"" + version + "\"";
  int n = 0;
  for (size_t at = xml.find(needle); at != std::string::npos; at = xml.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace mlexport::testing
