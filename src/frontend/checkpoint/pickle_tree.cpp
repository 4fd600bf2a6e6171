// The checks on a finished tree and the freeing of a failed one. A pickle's memo lets one object
// appear in many places and even inside itself: the result must have no cycle, nest at most
// kMaxDepth levels and expand to at most kMaxExpandedNodes nodes when shared subtrees count at
// every place (a memo bomb). Containers are emptied before they are dropped, so a cycle is freed
// and a deep tree is never destroyed recursively.
#include <algorithm>

#include "frontend/checkpoint/pickle_machine.h"

namespace mlexport::frontend::checkpoint::detail {
namespace {

void clear_children(Value& v) {
  v.items.clear();
  v.entries.clear();
  v.state.reset();
}

}  // namespace

void Unpickler::check_tree(const ValuePtr& root) {
  struct Info {
    bool done = false;
    int depth = 0;
    uint64_t size = 0;
  };
  struct Frame {
    const Value* v;
    size_t next = 0;
    int depth = 0;  // deepest child so far
    uint64_t size = 1;
  };
  std::unordered_map<const Value*, Info> info;
  std::vector<Frame> path;
  auto child_count = [](const Value* v) {
    return v->items.size() + 2 * v->entries.size() + (v->state ? 1 : 0);
  };
  auto child = [](const Value* v, size_t k) -> const Value* {
    if (k < v->items.size()) return v->items[k].get();
    k -= v->items.size();
    if (k < 2 * v->entries.size())
      return (k % 2 ? v->entries[k / 2].second : v->entries[k / 2].first).get();
    return v->state.get();
  };
  auto visit_leaf = [&](const Value* v) {
    if (v->kind == Kind::Tensor) reachable_tensors_.insert(v);
  };
  if (is_container(*root)) {
    info[root.get()];
    path.push_back({root.get()});
  } else {
    visit_leaf(root.get());
  }
  while (!path.empty()) {
    Frame& f = path.back();
    if (f.next < child_count(f.v)) {
      const Value* c = child(f.v, f.next++);
      if (!is_container(*c)) {
        visit_leaf(c);
        if (++f.size > kMaxExpandedNodes) tree_too_big();
        continue;
      }
      auto [it, inserted] = info.try_emplace(c);
      if (!inserted) {
        if (!it->second.done)
          throw bad_input(path_ + ": malformed pickle (" + part_ +
                          "): the object graph has a cycle (a container holds itself)");
        f.depth = std::max(f.depth, it->second.depth);
        f.size += it->second.size;
        if (f.size > kMaxExpandedNodes) tree_too_big();
        continue;
      }
      if (path.size() >= static_cast<size_t>(kMaxDepth))
        throw bad_input(path_ + ": malformed pickle (" + part_ + "): objects nested deeper than " +
                        std::to_string(kMaxDepth) + " levels");
      path.push_back({c});
      continue;
    }
    Info& mine = info[f.v];
    mine.done = true;
    mine.depth = f.depth + 1;
    mine.size = f.size;
    path.pop_back();
    if (!path.empty()) {
      path.back().depth = std::max(path.back().depth, mine.depth);
      path.back().size += mine.size;
      if (path.back().size > kMaxExpandedNodes) tree_too_big();
    }
  }
  // Containers the result does not hold may still form cycles; break them (and only them).
  for (auto& c : containers_)
    if (!info.count(c.get())) clear_children(*c);
  containers_.clear();
}

void Unpickler::tree_too_big() const {
  throw bad_input(path_ + ": malformed pickle (" + part_ +
                  "): the object tree expands to more than " + std::to_string(kMaxExpandedNodes) +
                  " nodes (a memo bomb?)");
}

// On failure (and for containers left out of the result) every container is emptied while all
// are still owned here, so cycles are freed and nothing is destroyed recursively.
void Unpickler::break_references() {
  stack_.clear();
  memo_.clear();
  for (auto& c : containers_) clear_children(*c);
  containers_.clear();
}

}  // namespace mlexport::frontend::checkpoint::detail
