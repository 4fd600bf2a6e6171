// The precision conversions as steps of the pipeline: each runs when the request asks for it,
// after the IR is complete, and leaves its counts in the pass log.
#include "mlexport/diagnostics.h"
#include "passes/pass.h"

namespace mlexport::passes {

bool convert_fp16_pass(ir::Graph& graph, const PassContext& context) {
  const Fp16Report report = convert_to_fp16(graph, *context.fp16);
  for (const std::string& entry : report.unmatched_keep_float32)
    throw Error(ExitCode::kBadInput,
                "--keep_fp32 " + entry +
                    " names no node of the model (give an IR op type such as Pow, an aten op such "
                    "as aten::pow, or a module path as the divergence report shows it)");
  if (context.note)
    *context.note = std::to_string(report.converted_constants) + " constants, " +
                    std::to_string(report.casts_inserted) + " casts";
  return report.converted_constants > 0 || report.casts_inserted > 0;
}

bool quantize_int8_pass(ir::Graph& graph, const PassContext& context) {
  const QuantizeReport report = quantize_dynamic_int8(graph, QuantizeOptions{});
  if (context.note)
    *context.note = std::to_string(report.quantized) + " quantized, " +
                    std::to_string(report.skipped) + " kept float, weights " +
                    std::to_string(report.bytes_before) + " -> " +
                    std::to_string(report.bytes_after) + " bytes";
  return report.quantized > 0;
}

}  // namespace mlexport::passes
