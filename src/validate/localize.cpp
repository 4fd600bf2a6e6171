#include "validate/localize.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <unordered_map>

#include "mlexport/diagnostics.h"

namespace mlexport::validate {
namespace {

// Nodes walked back through when looking for the compared inputs of a node.
constexpr size_t kMaxUncomparedNodes = 64;

bool exceeds(const OutputMetrics& m) {
  return m.status != "PASS";
}

class Search {
 public:
  Search(const ir::Graph& graph, const ReferenceFetch& reference, const ExposeRunner& run,
         const Tolerance& tolerance, const LocalizeOptions& options)
      : reference_(reference), run_(run), tolerance_(tolerance), options_(options) {
    for (const auto& node : graph.nodes())
      for (const ir::Value* v : node->outputs)
        if (v && !v->reference.empty() && !v->is_constant() &&
            (!options.exposable || options.exposable(v))) {
          index_[v] = candidates_.size();
          candidates_.push_back(v);
        }
  }

  Divergence run() {
    Divergence d;
    d.ran = true;
    d.candidates = static_cast<int>(candidates_.size());
    if (candidates_.empty()) {
      d.note = "no value of the exported graph has a reference value to compare with";
      return d;
    }
    std::optional<size_t> first = first_exceeding(-1, static_cast<long>(candidates_.size()) - 1);
    d.compared = static_cast<int>(measured_.size());
    if (!first) {
      d.note = measured_.empty()
                   ? "none of the " + std::to_string(candidates_.size()) +
                         " values with a reference value could be compared (the source gives "
                         "no intermediate values, or the runtime could not return them)"
                   : "no intermediate value exceeds the tolerance on the example input";
      d.runs = runs_;
      return d;
    }
    // Moves up to an input that exceeds too, until every compared input is within.
    std::vector<const ir::Value*> inputs;
    std::vector<std::string> region;
    for (;;) {
      boundary(candidates_[*first], inputs, region);
      measure(inputs);
      std::optional<size_t> earlier;
      for (const ir::Value* in : inputs) {
        auto m = measured_.find(in);
        if (m != measured_.end() && exceeds(m->second))
          earlier = std::min(earlier.value_or(index_.at(in)), index_.at(in));
      }
      if (!earlier) break;
      first = earlier;
    }
    const ir::Value* v = candidates_[*first];
    const ir::Node& node = *v->producer;
    d.found = true;
    d.node = node.name;
    d.op = node.op;
    d.source_op = node.source_op;
    std::tie(d.scope, d.location) = ir::split_source(node.source);
    d.value = v->name;
    d.metrics = measured_.at(v);
    for (const ir::Value* in : inputs)
      if (auto m = measured_.find(in); m != measured_.end()) d.inputs.push_back(m->second);
    d.uncompared_nodes = region;
    d.origins = origins(*first);
    std::vector<OutputMetrics> after;
    for (const auto& [value, m] : measured_)
      if (index_.at(value) > *first) after.push_back(m);
    std::sort(after.begin(), after.end(), [](const OutputMetrics& a, const OutputMetrics& b) {
      return a.scaled_max_diff > b.scaled_max_diff;
    });
    if (after.size() > options_.worst_downstream) after.resize(options_.worst_downstream);
    d.worst_downstream = after;
    d.compared = static_cast<int>(measured_.size());
    d.runs = runs_;
    return d;
  }

 private:
  const ReferenceFetch& reference_;
  const ExposeRunner& run_;
  const Tolerance& tolerance_;
  const LocalizeOptions& options_;
  std::vector<const ir::Value*> candidates_;  // topological order
  std::unordered_map<const ir::Value*, size_t> index_;
  std::map<const ir::Value*, OutputMetrics> measured_;
  std::set<const ir::Value*> incomparable_;
  int runs_ = 0;

  // Reference and exported copies of a value, as compared.
  static uint64_t bytes(const ir::Value* v) {
    uint64_t n = 1;
    if (v->shape)
      for (const ir::Dim& d : *v->shape) n *= d.is_fixed() ? static_cast<uint64_t>(d.size) : 1;
    return 2 * n * ir::dtype_size(v->dtype);
  }

  bool known(const ir::Value* v) const { return measured_.count(v) || incomparable_.count(v); }

  // Compares the values not compared yet, in runs that each fit the budget.
  void measure(const std::vector<const ir::Value*>& values) {
    std::vector<const ir::Value*> batch;
    uint64_t batch_bytes = 0;
    auto flush = [&]() {
      if (batch.empty()) return;
      compare(batch);
      batch.clear();
      batch_bytes = 0;
    };
    for (const ir::Value* v : values) {
      if (known(v)) continue;
      if (!batch.empty() && batch_bytes + bytes(v) > options_.budget_bytes) flush();
      batch.push_back(v);
      batch_bytes += bytes(v);
    }
    flush();
  }

  void compare(const std::vector<const ir::Value*>& values) {
    std::vector<std::string> keys;
    for (const ir::Value* v : values) keys.push_back(v->reference);
    std::map<std::string, ir::Tensor> expected = reference_(keys);
    std::vector<std::optional<ir::Tensor>> got = run_(values);
    ++runs_;
    if (got.size() != values.size())
      throw Error(ExitCode::kInternal, "the exposed run returned " + std::to_string(got.size()) +
                                           " values for " + std::to_string(values.size()));
    for (size_t k = 0; k < values.size(); ++k) {
      auto ref = expected.find(values[k]->reference);
      // A pass may have changed a value's layout while keeping it (its shape tells).
      if (ref == expected.end() || !got[k] || got[k]->shape != ref->second.shape) {
        incomparable_.insert(values[k]);
        continue;
      }
      measured_[values[k]] = compare_output(values[k]->name, ref->second, *got[k], tolerance_);
    }
  }

  // The node found, then every other compared value that exceeds with its inputs all compared
  // and within.
  std::vector<std::string> origins(size_t first) {
    std::vector<std::string> names = {candidates_[first]->producer->name};
    std::vector<const ir::Value*> inputs;
    std::vector<std::string> region;
    for (size_t i = first + 1; i < candidates_.size(); ++i) {
      if (!exceeding(candidates_[i])) continue;
      boundary(candidates_[i], inputs, region);
      bool within = true;
      for (const ir::Value* in : inputs) {
        auto m = measured_.find(in);
        within = within && m != measured_.end() && !exceeds(m->second);
      }
      if (within) names.push_back(candidates_[i]->producer->name);
    }
    return names;
  }

  bool exceeding(const ir::Value* v) const {
    auto m = measured_.find(v);
    return m != measured_.end() && exceeds(m->second);
  }

  // The first candidate in (lo, hi] whose value exceeds the tolerance.
  std::optional<size_t> first_exceeding(long lo, long hi) {
    if (hi <= lo) return std::nullopt;
    std::vector<const ir::Value*> span(candidates_.begin() + lo + 1, candidates_.begin() + hi + 1);
    uint64_t total = 0;
    for (const ir::Value* v : span) total += bytes(v);
    if (total <= options_.budget_bytes || span.size() <= 2) {
      measure(span);
      for (long i = lo + 1; i <= hi; ++i)
        if (exceeding(candidates_[static_cast<size_t>(i)])) return static_cast<size_t>(i);
      return std::nullopt;
    }
    // Evenly spaced samples inside the span that fit the budget with its last value.
    const auto n = static_cast<long>(span.size());
    const long count = std::clamp<long>(
        static_cast<long>(options_.budget_bytes * span.size() / std::max<uint64_t>(total, 1)) - 1,
        1, n - 1);
    std::vector<long> samples;
    for (long s = 1; s <= count; ++s) {
      const long i = lo + s * n / (count + 1);
      if (i > lo && i < hi && (samples.empty() || i > samples.back())) samples.push_back(i);
    }
    if (samples.empty()) return scan(lo, hi);
    samples.push_back(hi);
    std::vector<const ir::Value*> sampled;
    for (long i : samples) sampled.push_back(candidates_[static_cast<size_t>(i)]);
    measure(sampled);
    // Narrows to the span up to the first sample that exceeds (an error carries forward). When
    // none does, a value may still exceed and recover before the next sample (clipped by a
    // ReLU...): the span is scanned in order.
    long previous = lo;
    for (long i : samples) {
      if (exceeding(candidates_[static_cast<size_t>(i)])) return first_exceeding(previous, i);
      previous = i;
    }
    return scan(lo, hi);
  }

  // The first candidate in (lo, hi] that exceeds, compared in order in runs that fill the budget.
  std::optional<size_t> scan(long lo, long hi) {
    long checked = lo;
    std::vector<const ir::Value*> chunk;
    uint64_t chunk_bytes = 0;
    for (long i = lo + 1; i <= hi; ++i) {
      const ir::Value* v = candidates_[static_cast<size_t>(i)];
      if (!known(v)) {
        chunk.push_back(v);
        chunk_bytes += bytes(v);
      }
      if (i < hi && chunk_bytes < options_.budget_bytes) continue;
      measure(chunk);
      chunk.clear();
      chunk_bytes = 0;
      for (long j = checked + 1; j <= i; ++j)
        if (exceeding(candidates_[static_cast<size_t>(j)])) return static_cast<size_t>(j);
      checked = i;
    }
    return std::nullopt;
  }

  // The compared values `v`'s producer reads: its inputs that have a reference value, reached
  // through the producers of inputs that have none (collected in `region`).
  void boundary(const ir::Value* v, std::vector<const ir::Value*>& inputs,
                std::vector<std::string>& region) {
    inputs.clear();
    region.clear();
    std::set<const ir::Node*> seen;
    std::vector<const ir::Node*> stack = {v->producer};
    while (!stack.empty()) {
      const ir::Node* node = stack.back();
      stack.pop_back();
      if (!seen.insert(node).second) continue;
      if (node != v->producer) region.push_back(node->name);
      for (const ir::Value* in : node->inputs) {
        if (!in || in->is_constant() || !in->producer) continue;
        if (index_.count(in)) {
          if (std::find(inputs.begin(), inputs.end(), in) == inputs.end()) inputs.push_back(in);
        } else if (region.size() < kMaxUncomparedNodes) {
          stack.push_back(in->producer);
        }
      }
    }
  }
};

}  // namespace

Divergence localize_divergence(const ir::Graph& graph, const ReferenceFetch& reference,
                               const ExposeRunner& run, const Tolerance& tolerance,
                               const LocalizeOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  Divergence d = Search(graph, reference, run, tolerance, options).run();
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return d;
}

}  // namespace mlexport::validate
