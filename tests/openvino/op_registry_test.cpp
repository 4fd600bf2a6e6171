// Every IR op has an OpenVINO translation or a documented reason why not, and the OpenVINO
// emitter translates nothing the IR does not define.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "emit/openvino/openvino_emitter.h"
#include "ir/ops/op_def.h"

namespace mlexport::ir::ops {
namespace {

TEST(OpRegistry, EveryIrOpHasAnOpenVinoRowOrAReason) {
  const auto rows = emit::openvino_supported_ops();
  const std::set<std::string> translated(rows.begin(), rows.end());
  for (const OpDef& def : all()) {
    SCOPED_TRACE(std::string(def.name));
    if (translated.count(std::string(def.name)))
      EXPECT_TRUE(def.no_openvino.empty()) << "translated, yet a reason says it is not";
    else
      EXPECT_FALSE(def.no_openvino.empty()) << "no OpenVINO row and no reason";
  }
}

TEST(OpRegistry, EveryOpenVinoRowIsAnIrOp) {
  for (const std::string& op : emit::openvino_supported_ops())
    EXPECT_NE(find(op), nullptr) << op << " has an OpenVINO row but no registry entry";
}

}  // namespace
}  // namespace mlexport::ir::ops
