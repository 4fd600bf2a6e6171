#include "core/build_ir.h"

#include <cstdlib>

#include "core/dynamic_axes.h"
#include "core/task_metadata.h"
#include "ir/printer.h"
#include "passes/pass.h"
#include "passes/test_perturbation.h"

namespace mlexport::core {

std::unique_ptr<ir::Graph> build_ir(ExportJob& job, passes::Target target) {
  const ExportRequest& request = job.request;
  frontend::ImportOptions import;
  const bool dynamic = request.dynamic_axes || !request.dynamic_axes_spec.empty();
  import.dynamic_batch = dynamic;
  import.input_names = request.input_names;
  import.output_names =
      request.output_names.empty() ? default_output_names(job) : request.output_names;
  auto graph = job.model.source->to_ir(job.inputs, import);
  if (!request.dynamic_axes_spec.empty())
    apply_dynamic_axes(job, *graph, request.dynamic_axes_spec);
  else if (request.dynamic_axes)
    collect_dynamic_axes(job, *graph);
  append_segmentation_output(*graph, job.segmentation_output);
  // The IR holds its own copy of the weights; without validation (and without dynamic axes to
  // check) the model is done with.
  if (!request.validation.enabled && request.dynamic_axes_spec.empty()) job.model = {};
  job.lap("convert");

  passes::PassContext context;
  context.opset_version = request.opset_version;
  context.dynamic_batch = dynamic;
  context.target = target;
  if (request.precision == Precision::kFp16) {
    context.fp16.emplace();
    context.fp16->keep_io_fp32 = !request.fp16_io;
    context.fp16->keep_float32 = request.keep_fp32;
  }
  context.quantize_int8 = request.quantize == Quantization::kInt8;
  passes::PipelineOptions pipeline{request.simplify, request.disabled_passes, request.verify_each};
  job.result.pass_log = passes::run_pipeline(*graph, context, pipeline);
  // Test-only (see passes/test_perturbation.h): a wrong translation for localisation's tests.
  // (After the precision passes: the node keeps its name through them.)
  if (const char* node = std::getenv("MLEXPORT_TEST_PERTURB"); node && *node)
    passes::perturb_node_for_test(*graph, node);
  if (request.verbose) job.result.ir_text = ir::print_graph(*graph);
  job.lap("passes");
  job.result.input_names.clear();
  job.result.output_names.clear();
  for (const ir::Value* v : graph->inputs()) job.result.input_names.push_back(v->name);
  for (const ir::Value* v : graph->outputs()) job.result.output_names.push_back(v->name);
  return graph;
}

}  // namespace mlexport::core
