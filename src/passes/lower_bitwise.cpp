// Integer and/or/xor without ONNX BitwiseAnd/Or/Xor (opset 18): each operand is taken modulo
// 2^width (its two's-complement bits as a non-negative number), split into bit planes along a new
// last axis (floor(x / 2^k) mod 2, all k at once), combined plane by plane (and: a*b, or:
// a+b-a*b, xor: a+b-2ab) and summed back with the powers of two. Exact for every value; int64
// goes as two 32-bit halves so that nothing overflows.
#include "passes/rewriter.h"

namespace mlexport::passes {
namespace {

using ir::DType;
using ir::Tensor;

int width_of(DType t) {
  switch (t) {
    case DType::Int8:
    case DType::UInt8:
      return 8;
    case DType::Int16:
      return 16;
    case DType::Int32:
      return 32;
    case DType::Int64:
      return 64;
    default:
      return 0;
  }
}

ir::Value* i64(Rewriter& r, int64_t v) {
  return r.constant(Tensor::scalar_int64(v));
}

ir::Value* as_int64(Rewriter& r, ir::Value* x) {
  if (x->dtype == DType::Int64) return x;
  return r.op("Cast", {x}, {{"to", static_cast<int64_t>(DType::Int64)}});
}

// `op` bit by bit on a and b, int64 values in [0, 2^width), width <= 32.
ir::Value* combine_planes(Rewriter& r, const std::string& op, ir::Value* a, ir::Value* b,
                          int width) {
  std::vector<int64_t> powers(static_cast<size_t>(width));
  for (int k = 0; k < width; ++k) powers[static_cast<size_t>(k)] = int64_t{1} << k;
  ir::Value* p = r.constant(Tensor::vector_int64(powers));
  ir::Value* two = i64(r, 2);
  auto planes = [&](ir::Value* x) {
    ir::Value* column = r.op("Unsqueeze", {x}, {{"axes", std::vector<int64_t>{-1}}});
    return r.op("Mod", {r.op("Div", {column, p}), two});
  };
  ir::Value* x = planes(a);
  ir::Value* y = planes(b);
  ir::Value* both = r.op("Mul", {x, y});
  ir::Value* bits = both;
  if (op != "BitwiseAnd") {
    ir::Value* sum = r.op("Add", {x, y});
    bits = op == "BitwiseOr" ? r.op("Sub", {sum, both})
                             : r.op("Sub", {sum, r.op("Add", {both, both})});
  }
  return r.op("ReduceSum", {r.op("Mul", {bits, p})},
              {{"axes", std::vector<int64_t>{-1}}, {"keepdims", int64_t{0}}});
}

// [0, 2^width) -> the signed value of those `width` bits.
ir::Value* to_signed(Rewriter& r, ir::Value* u, int width) {
  ir::Value* high = r.op("Greater", {u, i64(r, (int64_t{1} << (width - 1)) - 1)});
  ir::Value* wrap = r.op("Mul", {r.op("Cast", {high}, {{"to", static_cast<int64_t>(DType::Int64)}}),
                                 i64(r, int64_t{1} << width)});
  return r.op("Sub", {u, wrap});
}

// The low and high 32 bits of an int64, each in [0, 2^32): floor division by 2^32 without
// overflow (ONNX's integer Div truncates, so a negative value with low bits set is one less).
std::pair<ir::Value*, ir::Value*> halves(Rewriter& r, ir::Value* x) {
  ir::Value* base = i64(r, int64_t{1} << 32);
  ir::Value* low = r.op("Mod", {x, base});
  ir::Value* inexact_negative =
      r.op("And", {r.op("Less", {x, i64(r, 0)}), r.op("Not", {r.op("Equal", {low, i64(r, 0)})})});
  ir::Value* floor =
      r.op("Sub", {r.op("Div", {x, base}),
                   r.op("Cast", {inexact_negative}, {{"to", static_cast<int64_t>(DType::Int64)}})});
  return {low, r.op("Mod", {floor, base})};
}

}  // namespace

ir::Value* lower_integer_bitwise(Rewriter& r, ir::Node* n) {
  const DType t = n->inputs[0]->dtype;
  const int width = width_of(t);
  if (width == 0 || n->inputs[1]->dtype != t) return nullptr;
  ir::Value* a = as_int64(r, n->inputs[0]);
  ir::Value* b = as_int64(r, n->inputs[1]);
  if (width == 64) {
    auto [a_low, a_high] = halves(r, a);
    auto [b_low, b_high] = halves(r, b);
    ir::Value* low = combine_planes(r, n->op, a_low, b_low, 32);
    ir::Value* high = to_signed(r, combine_planes(r, n->op, a_high, b_high, 32), 32);
    return r.op("Add", {r.op("Mul", {high, i64(r, int64_t{1} << 32)}), low});
  }
  ir::Value* modulus = i64(r, int64_t{1} << width);
  ir::Value* u =
      combine_planes(r, n->op, r.op("Mod", {a, modulus}), r.op("Mod", {b, modulus}), width);
  if (t != DType::UInt8) u = to_signed(r, u, width);
  return r.op("Cast", {u}, {{"to", static_cast<int64_t>(t)}});
}

}  // namespace mlexport::passes
