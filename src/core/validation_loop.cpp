#include "core/validation_loop.h"

#include "core/dynamic_axes.h"
#include "core/inputs.h"
#include "core/tolerance.h"
#include "validate/class_outputs.h"
#include "validate/order_free.h"

namespace mlexport::core {

namespace {

// One sample's outputs under the request's comparison (see ValidationOptions::compare).
// `scores`: the reference outputs before --segmentation_output (the class scores an argmax
// output is judged by).
void compare_one_sample(ExportJob& job, const std::vector<std::string>& names,
                        const std::vector<ir::Tensor>& scores,
                        const std::vector<ir::Tensor>& reference,
                        const std::vector<ir::Tensor>& got, const validate::Tolerance& tolerance,
                        ValidationResult& result) {
  const Compare mode = job.request.validation.compare;
  std::optional<validate::DetectionLayout> layout;
  if (mode == Compare::kAuto || mode == Compare::kDetections)
    layout = validate::find_detection_layout(reference);
  if (mode == Compare::kDetections && !layout)
    throw bad_input(
        "--compare detections: the model's outputs are not detections (boxes [N,4], scores [N], "
        "labels [N])");
  if (layout) {
    result.compare = "detections";
    auto d = validate::compare_detections(names, reference, got, *layout, tolerance);
    job.detections_matched += d.matched;
    job.detections_exchanged += d.exchanged.size();
    job.detections_total += std::max(d.reference_count, d.exported_count);
    result.detections = "matched " + std::to_string(job.detections_matched) + "/" +
                        std::to_string(job.detections_total);
    if (job.detections_exchanged)
      result.detections +=
          " (" + std::to_string(job.detections_exchanged) + " exchanged at the top-k cut)";
    result.outputs.insert(result.outputs.end(), d.outputs.begin(), d.outputs.end());
    for (const std::string& u : d.unmatched) result.notes.push_back("unmatched detection: " + u);
    for (const std::string& x : d.exchanged)
      result.notes.push_back("detection exchanged at the top-k cut: " + x);
    for (const std::string& m : d.mask_edges_moved)
      result.notes.push_back("mask edge moved by a pixel (box snapped to whole pixels): " + m);
    return;
  }
  result.compare = mode == Compare::kAuto ? "elementwise" : to_string(mode);
  const bool class_maps = job.segmentation_output.kind == SegmentationOutput::Kind::kArgmax;
  for (size_t k = 0; k < reference.size(); ++k)
    if (class_maps && is_class_scores(scores[k].dtype, scores[k].shape.size()))
      result.outputs.push_back(
          validate::compare_class_maps(names[k], scores[k], reference[k], got[k], tolerance));
    else
      result.outputs.push_back(
          mode == Compare::kUnordered
              ? validate::compare_unordered(names[k], reference[k], got[k], tolerance)
              : validate::compare_output(names[k], reference[k], got[k], tolerance));
}

// The detections matched so far (ExportJob), set back when a sample is compared again.
struct DetectionCounts {
  size_t matched, total, exchanged;
};

DetectionCounts detection_counts(const ExportJob& job) {
  return {job.detections_matched, job.detections_total, job.detections_exchanged};
}

void set_detection_counts(ExportJob& job, const DetectionCounts& counts) {
  job.detections_matched = counts.matched;
  job.detections_total = counts.total;
  job.detections_exchanged = counts.exchanged;
}

// A failing sample run again with the export's values where rounding decides what follows
// (core/replay_points.h). If the outputs then agree, `sample` becomes that comparison, at best
// WARN; otherwise it stays, with a note. `before`: the counts before the sample was compared.
void replay_failing_sample(ExportJob& job, const std::vector<std::string>& names,
                           const std::vector<ir::Tensor>& got,
                           const std::vector<ir::Tensor>& inputs,
                           const validate::Tolerance& tolerance, const DetectionCounts& before,
                           ValidationResult& sample) {
  const SampleReplay replay = job.replay_sample(inputs);
  if (!replay.replayed || replay.outputs.size() != got.size()) {
    if (!replay.refused.empty())
      sample.notes.push_back("not replayed with the export's values: " + replay.refused);
    return;
  }
  const DetectionCounts first = detection_counts(job);
  set_detection_counts(job, before);
  ValidationResult again;
  compare_one_sample(job, names, replay.outputs,
                     apply_segmentation_output(replay.outputs, job.segmentation_output), got,
                     tolerance, again);
  validate::summarize(again);
  if (again.status == "FAIL") {
    set_detection_counts(job, first);
    sample.notes.push_back(
        "run again with the export's values where rounding decides what "
        "follows, the outputs still differ (max difference " +
        validate::scientific(again.max_diff) + ")");
    for (const std::string& point : replay.points)
      sample.notes.push_back("replayed with the export's value: " + point);
    return;
  }
  again.notes.push_back("the outputs differed by up to " + validate::scientific(sample.max_diff) +
                        "; compared with the model run again with the export's values where "
                        "rounding decides what follows (top-k cuts and NMS orders among "
                        "near-equal values, boxes that RoI ops sample)");
  for (const std::string& point : replay.points)
    again.notes.push_back("taken from the export: " + point);
  OutputMetrics line;
  line.name = "values taken from the export";
  line.shape = {static_cast<int64_t>(replay.points.size())};
  line.status = line.absolute_status = "WARN";
  again.outputs.push_back(line);
  validate::summarize(again);
  sample = std::move(again);
}

// A sample compared and merged into `result`; a failing one is replayed first.
void judge_sample(ExportJob& job, const std::vector<std::string>& names,
                  const std::vector<ir::Tensor>& scores, const std::vector<ir::Tensor>& reference,
                  const std::vector<ir::Tensor>& got, const std::vector<ir::Tensor>& inputs,
                  const validate::Tolerance& tolerance, ValidationResult& result) {
  const DetectionCounts before = detection_counts(job);
  ValidationResult sample;
  compare_one_sample(job, names, scores, reference, got, tolerance, sample);
  validate::summarize(sample);
  if (sample.status == "FAIL" && job.replay_sample)
    replay_failing_sample(job, names, got, inputs, tolerance, before, sample);
  if (sample.status == "FAIL" && job.failed_inputs.empty()) job.failed_inputs = inputs;
  result.compare = sample.compare;
  if (!sample.detections.empty()) result.detections = sample.detections;
  result.outputs.insert(result.outputs.end(), sample.outputs.begin(), sample.outputs.end());
  result.notes.insert(result.notes.end(), sample.notes.begin(), sample.notes.end());
}

// Adds the branches and loop counts a run on `inputs` takes to the job's coverage. Called once
// per input: on a detector each such run costs as much as the model itself.
void record_coverage(ExportJob& job, const std::vector<ir::Tensor>& inputs) {
  if (job.has_control_flow)
    job.control_flow.merge(job.model.reference->control_flow_coverage(inputs));
}

// Compares the reference and the exported file on each sample (their coverage is the caller's).
void compare_samples(ExportJob& job, const Runner& exported,
                     const std::vector<std::vector<ir::Tensor>>& samples,
                     const validate::Tolerance& tolerance, ValidationResult& result) {
  for (const auto& inputs : samples) {
    const std::vector<ir::Tensor> scores = job.reference_runs.run(*job.model.reference, inputs);
    const std::vector<ir::Tensor> reference =
        apply_segmentation_output(scores, job.segmentation_output);
    runtime::RunResult run = exported(inputs);
    result.runtime = run.runtime;
    if (run.outputs.size() != reference.size())
      throw Error(ExitCode::kValidationFailed,
                  "the exported model has " + std::to_string(run.outputs.size()) +
                      " outputs but the model returns " + std::to_string(reference.size()));
    std::vector<std::string> names;
    std::vector<ir::Tensor> got;
    for (size_t k = 0; k < reference.size(); ++k) {
      names.push_back(k < run.output_names.size() ? run.output_names[k]
                                                  : "output_" + std::to_string(k));
      got.push_back(run.outputs[k]);
      if (reference[k].dtype != got[k].dtype) got[k] = got[k].cast(reference[k].dtype);
    }
    judge_sample(job, names, scores, reference, got, inputs, tolerance, result);
  }
  validate::summarize(result);
}

// Each dynamic symbol at its second size. A failure there, where the first size passed, means
// the file only looks dynamic: recorded in job.dynamic_failure.
void check_dynamic_axes(ExportJob& job, const Runner& exported,
                        const validate::Tolerance& tolerance, ValidationResult& result) {
  const bool first_passed = result.status != "FAIL";
  uint64_t seed = job.request.validation.seed + 1;
  for (const std::string& symbol : dynamic_symbols(job)) {
    const Specs varied = vary_axes(job, symbol);
    std::string at;
    for (const auto& a : job.dynamic_axes)
      if (a.symbol == symbol) {
        at = symbol + "=" + std::to_string(varied[a.input].second[static_cast<size_t>(a.axis)]);
        break;
      }
    ValidationResult second;
    std::string failure;
    try {
      const size_t matched_before = job.detections_matched + job.detections_exchanged,
                   total_before = job.detections_total;
      const std::vector<ir::Tensor> inputs = inputs_at(job, varied, seed++);
      record_coverage(job, inputs);
      compare_samples(job, exported, {inputs}, tolerance, second);
      const size_t matched = job.detections_matched + job.detections_exchanged - matched_before;
      const size_t total = job.detections_total - total_before;
      if (second.status == "FAIL" && second.compare == "detections") {
        // Every detection found again: the file is dynamic, and the verdict reports the drift.
        if (matched < total)
          failure = "at " + at + " detections matched " + std::to_string(matched) + "/" +
                    std::to_string(total) +
                    (second.notes.empty() ? "" : " (" + second.notes.front() + ")");
      } else if (second.status == "FAIL")
        failure = "at " + at + " the outputs differ (max difference " +
                  std::to_string(second.max_diff) + ")";
    } catch (const Error& e) {
      failure = "at " + at + ": " + first_line(e.what());
      result.notes.push_back(failure);
      OutputMetrics failed;
      failed.name = "at " + at;
      failed.status = failed.absolute_status = "FAIL";
      failed.cosine_similarity = 0;
      second.outputs = {failed};
    }
    // The job's running count: the second size's detections join the first's.
    if (!second.detections.empty()) result.detections = second.detections;
    for (auto& m : second.outputs) {
      if (m.name.rfind("at ", 0) != 0) m.name += " (" + at + ")";
      result.outputs.push_back(m);
    }
    if (!failure.empty() && first_passed && job.dynamic_failure.empty())
      job.dynamic_failure = "'" + symbol + "' " + failure;
  }
  validate::summarize(result);
}

// Inputs of the example's specs, scaled so a condition on their values goes the other way.
std::vector<ir::Tensor> scaled_inputs(const Specs& specs, uint64_t seed, double scale) {
  std::vector<ir::Tensor> inputs = random_inputs(specs, seed);
  for (ir::Tensor& t : inputs)
    if (t.dtype == ir::DType::Float32)
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] *= static_cast<float>(scale);
  return inputs;
}

// With data-dependent control flow, validation goes on with generated inputs until every If has
// run both branches and every Loop three counts (or the attempts run out), keeping those that
// take something new; the
// result names what was covered, and a branch never taken makes the verdict at best WARN.
void cover_control_flow(ExportJob& job, const Runner& exported,
                        const validate::Tolerance& tolerance, ValidationResult& result) {
  constexpr double kScales[] = {-1.0, 0.1, 10.0, -10.0, 0.01, 100.0, -0.1, 3.0, -3.0, 1.0};
  // The example's shapes, and each dynamic axis a few sizes up (a branch on x.size(0), a loop
  // over range(x.size(1))).
  std::vector<Specs> shapes = {job.specs};
  for (const std::string& symbol : dynamic_symbols(job))
    for (int64_t delta : {1, 3, 6}) {
      Specs specs = job.specs;
      for (const auto& a : job.dynamic_axes)
        if (a.symbol == symbol) specs[a.input].second[static_cast<size_t>(a.axis)] += delta;
      shapes.push_back(specs);
    }
  uint64_t seed = job.request.validation.seed + 1000;
  // Every scale at every shape tried once since the last input that took something new: a branch
  // still untaken is not reached by scaling (a detector's empty-image branch), so the remaining
  // attempts, each a run of the model, are not made.
  const size_t patience = std::size(kScales) * shapes.size();
  size_t fruitless = 0;
  for (size_t attempt = 0;
       attempt < 2 * std::size(kScales) && !job.control_flow.well_covered() && fruitless < patience;
       ++attempt) {
    const Specs& specs = shapes[attempt % shapes.size()];
    std::vector<ir::Tensor> candidate =
        scaled_inputs(specs, seed++, kScales[attempt % std::size(kScales)]);
    ir::ControlFlowCoverage taken;
    try {
      taken = job.model.reference->control_flow_coverage(candidate);
    } catch (const Error&) {
      continue;  // inputs the model itself refuses
    }
    ir::ControlFlowCoverage merged = job.control_flow;
    merged.merge(taken);
    if (merged.summary() == job.control_flow.summary()) {
      ++fruitless;
      continue;
    }
    fruitless = 0;
    job.control_flow = merged;
    compare_samples(job, exported, {candidate}, tolerance, result);
  }
  result.control_flow = job.control_flow.summary();
  for (const auto& [where, b] : job.control_flow.ifs)
    if (!b.then_taken || !b.else_taken)
      result.notes.push_back("If at " + where + ": the " + (b.then_taken ? "else" : "then") +
                             " branch was never taken by the validation inputs; it is exported "
                             "but not validated (give --sample_input files that take it)");
}

}  // namespace

ValidationResult validate_with(ExportJob& job, const Runner& exported,
                               const validate::Tolerance& tolerance, const std::string& method) {
  auto start = std::chrono::steady_clock::now();
  const ExportRequest& request = job.request;
  ValidationResult result;
  result.method = method;
  std::vector<std::vector<ir::Tensor>> samples = {job.inputs};
  if (request.validation.sample_input.empty())
    for (int s = 1; s < request.validation.num_samples; ++s)
      samples.push_back(random_inputs(job.specs, request.validation.seed + 100 + s));
  for (const std::string& path : request.validation.more_sample_inputs)
    samples.push_back(load_sample_inputs(path));
  job.control_flow = job.model.reference->control_flow_coverage(job.inputs);
  job.has_control_flow = !job.control_flow.empty();
  for (size_t s = 1; s < samples.size(); ++s) record_coverage(job, samples[s]);
  compare_samples(job, exported, samples, tolerance, result);
  // Formats written without the IR (TorchScript, torch) are dynamic in dim 0 by nature.
  if (job.dynamic_axes.empty() && request.dynamic_axes)
    for (size_t k = 0; k < job.specs.size(); ++k)
      if (!job.specs[k].second.empty() &&
          job.specs[k].second[0] == job.specs.front().second.front())
        job.dynamic_axes.push_back({k, 0, "batch_size"});
  if (!job.dynamic_axes.empty()) check_dynamic_axes(job, exported, tolerance, result);
  if (job.has_control_flow) {
    cover_control_flow(job, exported, tolerance, result);
    // An unvalidated branch caps the verdict at WARN, whichever bands judge.
    if (!job.control_flow.all_branches_taken()) {
      if (result.status == "PASS") result.status = "WARN";
      if (result.absolute_status == "PASS") result.absolute_status = "WARN";
    }
  }
  result.absolute_bands = tolerance.absolute;
  result.precision = precision_bands(request, job.precision);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace mlexport::core
