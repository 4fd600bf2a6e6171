#include "frontend/torchscript/op_table.h"

#include <set>
#include <unordered_map>

namespace mlexport::frontend::torchscript {

const std::vector<OpRule>& op_rules() {
  static const std::vector<OpRule> rules = [] {
    std::vector<OpRule> all;
    for (auto family :
         {plumbing_rules, elementwise_rules, activation_rules, linear_rules, convolution_rules,
          normalization_rules, pooling_rules, shape_rules, reduction_rules, resize_rules,
          creation_rules, attention_rules, recurrent_rules, mask_rules, nested_rules}) {
      auto rows = family();
      all.insert(all.end(), rows.begin(), rows.end());
    }
    for (auto family :
         {math_rules, selection_rules, scan_rules, scatter_rules, bitwise_rules, sampling_rules}) {
      auto rows = family();
      all.insert(all.end(), rows.begin(), rows.end());
    }
    for (auto family : {detection_rules, spectral_rules, complex_rules}) {
      auto rows = family();
      all.insert(all.end(), rows.begin(), rows.end());
    }
    return all;
  }();
  return rules;
}

const OpRule* find_rule(std::string_view kind) {
  static const auto index = [] {
    std::unordered_map<std::string_view, const OpRule*> map;
    for (const OpRule& rule : op_rules()) map.emplace(rule.kind, &rule);
    return map;
  }();
  auto it = index.find(kind);
  return it == index.end() ? nullptr : it->second;
}

const OpRule* find_complex_rule(std::string_view kind) {
  static const auto variants = [] {
    std::unordered_map<std::string_view, OpRule> map;
    for (const OpRule& rule : complex_variant_rules()) map.emplace(rule.kind, rule);
    return map;
  }();
  if (auto it = variants.find(kind); it != variants.end()) return &it->second;
  // Rules that move values without computing on them, or that know the pair layout.
  static const auto takes_pairs = [] {
    std::set<std::string, std::less<>> kinds = {
        "prim::ListConstruct", "prim::TupleConstruct", "prim::ListUnpack", "prim::TupleUnpack",
        "prim::TupleIndex", "aten::__getitem__", "aten::contiguous", "aten::detach", "aten::clone",
        "aten::resolve_conj", "aten::resolve_neg",
        // Answered from the record (rank, dtype, device), which is the complex one.
        "aten::dim", "aten::len", "prim::dtype", "prim::device", "aten::is_floating_point"};
    for (auto family : {spectral_rules, complex_rules})
      for (const OpRule& rule : family()) kinds.insert(rule.kind);
    return kinds;
  }();
  return takes_pairs.count(kind) ? find_rule(kind) : nullptr;
}

const std::vector<KnownGap>& known_gaps() {
  static const std::vector<KnownGap> gaps = [] {
    std::vector<KnownGap> all;
    for (auto family : {detection_gaps}) {
      auto rows = family();
      all.insert(all.end(), rows.begin(), rows.end());
    }
    return all;
  }();
  return gaps;
}

const KnownGap* find_known_gap(std::string_view kind) {
  for (const KnownGap& gap : known_gaps())
    if (kind == gap.kind) return &gap;
  return nullptr;
}

}  // namespace mlexport::frontend::torchscript
