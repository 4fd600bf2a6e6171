// The localisation search on hand-built graphs, with a fake reference and a fake exported run:
// which node it names, that bisection keeps each run within the budget, and what it reports.
#include <gtest/gtest.h>

#include <set>

#include "passes/precision.h"
#include "validate/localize.h"

namespace mlexport::validate {
namespace {

// A chain input -> Relu_0 -> ... -> Relu_{n-1} of [1, 4] float values, each with a reference.
struct Chain {
  ir::Graph graph;
  std::vector<ir::Node*> nodes;

  explicit Chain(int n) {
    ir::Value* v = graph.add_input("x", ir::DType::Float32, ir::fixed_shape({1, 4}));
    for (int k = 0; k < n; ++k) {
      ir::Node* node = graph.add_node("Relu", {v});
      node->source = "block" + std::to_string(k) + " model.py:" + std::to_string(10 + k);
      node->source_op = "aten::relu";
      v = node->outputs[0];
      v->shape = ir::fixed_shape({1, 4});
      v->reference = "ref" + std::to_string(k);
      nodes.push_back(node);
    }
    graph.mark_output(v);
  }
};

ir::Tensor filled(float value) {
  ir::Tensor t(ir::DType::Float32, {1, 4});
  for (int i = 0; i < 4; ++i) t.data<float>()[i] = value;
  return t;
}

// The reference holds 1.0 everywhere; the export differs by `error` from node `from` on, back to
// 1.0 from node `healed` (a clip) when given.
struct Fake {
  const Chain& chain;
  int from;
  float error;
  int healed = -1;
  int again = -1;  // wrong again from this node on
  size_t most_per_run = 0;
  std::set<std::string> asked;

  ReferenceFetch reference() {
    return [this](const std::vector<std::string>& keys) {
      std::map<std::string, ir::Tensor> out;
      for (const auto& k : keys) {
        out.emplace(k, filled(1.0f));
        asked.insert(k);
      }
      return out;
    };
  }
  ExposeRunner runner() {
    return [this](const std::vector<const ir::Value*>& values) {
      most_per_run = std::max(most_per_run, values.size());
      std::vector<std::optional<ir::Tensor>> out;
      for (const ir::Value* v : values) {
        const int k = std::stoi(v->reference.substr(3));
        const bool wrong = (k >= from && (healed < 0 || k < healed)) || (again >= 0 && k >= again);
        out.push_back(filled(wrong ? 1.0f + error : 1.0f));
      }
      return out;
    };
  }
};

TEST(Localize, NamesTheFirstNodeThatExceeds) {
  Chain chain(12);
  Fake fake{chain, 5, 0.5f};
  Divergence d = localize_divergence(chain.graph, fake.reference(), fake.runner(), Tolerance{}, {});
  ASSERT_TRUE(d.found) << d.note;
  EXPECT_EQ(d.node, chain.nodes[5]->name);
  EXPECT_EQ(d.op, "Relu");
  EXPECT_EQ(d.source_op, "aten::relu");
  EXPECT_EQ(d.scope, "block5");
  EXPECT_EQ(d.location, "model.py:15");
  EXPECT_EQ(d.metrics.status, "FAIL");
  ASSERT_EQ(d.inputs.size(), 1u);
  EXPECT_EQ(d.inputs[0].status, "PASS");
  EXPECT_EQ(d.runs, 1);  // everything fits the default budget
  EXPECT_EQ(d.compared, 12);
  ASSERT_FALSE(d.worst_downstream.empty());
  EXPECT_GT(d.worst_downstream[0].max_diff, 0.4);
}

TEST(Localize, BisectsWithinTheBudget) {
  Chain chain(200);
  Fake fake{chain, 137, 0.5f};
  LocalizeOptions options;
  options.budget_bytes = 4 * 32;  // four [1,4] float values, reference and exported
  Divergence d =
      localize_divergence(chain.graph, fake.reference(), fake.runner(), Tolerance{}, options);
  ASSERT_TRUE(d.found) << d.note;
  EXPECT_EQ(d.node, chain.nodes[137]->name);
  EXPECT_LE(fake.most_per_run, 4u);
  EXPECT_LT(d.compared, 60);  // far fewer than the 200 values
  EXPECT_GT(d.runs, 1);
}

TEST(Localize, FindsADivergenceThatHealsBeforeTheSamples) {
  Chain chain(40);
  // Nodes 21 and 22 exceed, 23 on are right again (clipped): no evenly spaced sample sees it.
  Fake fake{chain, 21, 0.5f, 23};
  LocalizeOptions options;
  options.budget_bytes = 3 * 32;
  Divergence d =
      localize_divergence(chain.graph, fake.reference(), fake.runner(), Tolerance{}, options);
  ASSERT_TRUE(d.found) << d.note;
  EXPECT_EQ(d.node, chain.nodes[21]->name);
}

TEST(Localize, ListsEveryPlaceWhereTheErrorStarts) {
  Chain chain(12);
  Fake fake{chain, 3, 0.5f, 5};
  fake.again = 8;
  Divergence d = localize_divergence(chain.graph, fake.reference(), fake.runner(), Tolerance{}, {});
  ASSERT_TRUE(d.found) << d.note;
  EXPECT_EQ(d.node, chain.nodes[3]->name);
  EXPECT_EQ(d.origins, (std::vector<std::string>{chain.nodes[3]->name, chain.nodes[8]->name}));
}

TEST(Localize, ReportsNothingWhenEveryValueIsWithin) {
  Chain chain(6);
  Fake fake{chain, 100, 0.5f};
  Divergence d = localize_divergence(chain.graph, fake.reference(), fake.runner(), Tolerance{}, {});
  EXPECT_TRUE(d.ran);
  EXPECT_FALSE(d.found);
  EXPECT_NE(d.note.find("no intermediate value exceeds"), std::string::npos) << d.note;
}

TEST(Localize, WalksBackThroughNodesWithoutReference) {
  Chain chain(8);
  // Node 4's value loses its reference (as a pass that makes a new value would): the divergence
  // it starts is first seen at node 5, with node 4 named as uncompared.
  chain.nodes[4]->outputs[0]->reference.clear();
  Fake fake{chain, 4, 0.5f};
  Divergence d = localize_divergence(chain.graph, fake.reference(), fake.runner(), Tolerance{}, {});
  ASSERT_TRUE(d.found) << d.note;
  EXPECT_EQ(d.node, chain.nodes[5]->name);
  ASSERT_EQ(d.uncompared_nodes.size(), 1u);
  EXPECT_EQ(d.uncompared_nodes[0], chain.nodes[4]->name);
  ASSERT_EQ(d.inputs.size(), 1u);
  EXPECT_EQ(d.inputs[0].name, chain.nodes[3]->outputs[0]->name);
}

TEST(Localize, SaysWhenNothingCanBeCompared) {
  Chain chain(3);
  Fake fake{chain, 0, 0.5f};
  ReferenceFetch none = [](const std::vector<std::string>&) {
    return std::map<std::string, ir::Tensor>{};
  };
  Divergence d = localize_divergence(chain.graph, none, fake.runner(), Tolerance{}, {});
  EXPECT_FALSE(d.found);
  EXPECT_NE(d.note.find("could be compared"), std::string::npos) << d.note;
}

TEST(Localize, SplitsScopeAndLine) {
  EXPECT_EQ(ir::split_source("layer1.0.conv1 model.py:12"),
            (std::pair<std::string, std::string>{"layer1.0.conv1", "model.py:12"}));
  EXPECT_EQ(ir::split_source("layer1.0.conv1"),
            (std::pair<std::string, std::string>{"layer1.0.conv1", ""}));
  EXPECT_EQ(ir::split_source("__module.layer1/__module.layer1.0.conv1 m.py:7"),
            (std::pair<std::string, std::string>{"layer1.0.conv1", "m.py:7"}));
  EXPECT_EQ(ir::split_source("model.py:3"),
            (std::pair<std::string, std::string>{"", "model.py:3"}));
}

TEST(KeepFp32, MatchesOpSourceOpAndScope) {
  ir::Node node;
  node.op = "Pow";
  node.source_op = "aten::pow";
  node.source = "encoder.energy model.py:4";
  EXPECT_TRUE(passes::kept_float32(node, {"Pow"}));
  EXPECT_TRUE(passes::kept_float32(node, {"aten::pow"}));
  EXPECT_TRUE(passes::kept_float32(node, {"encoder.energy"}));
  EXPECT_TRUE(passes::kept_float32(node, {"encoder"}));
  EXPECT_FALSE(passes::kept_float32(node, {"encode"}));
  EXPECT_FALSE(passes::kept_float32(node, {"Mul", "decoder"}));
}

}  // namespace
}  // namespace mlexport::validate
