#include "core/dynamic_axes.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <sstream>

#include "core/inputs.h"
#include "mlexport/diagnostics.h"

namespace mlexport::core {
namespace {

std::string default_symbol(const std::string& name, int64_t axis) {
  return axis == 0 ? "batch_size" : name + "_dim" + std::to_string(axis);
}

int64_t parse_axis(const std::string& text, const std::string& where) {
  size_t used = 0;
  long long axis = -1;
  try {
    axis = std::stoll(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used != text.size() || text.empty() || axis < 0)
    throw bad_input("--dynamic_axes: '" + text + "' in " + where +
                    " is not an axis number (0, 1, 2, ...)");
  return axis;
}

void check_symbol(const std::string& symbol, const std::string& where) {
  if (symbol.empty()) throw bad_input("--dynamic_axes: an empty symbol in " + where);
}

AxesSpec parse_json(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception&) {
    throw bad_input("--dynamic_axes: '" + text + "' is not valid JSON");
  }
  if (!j.is_object() || j.empty())
    throw bad_input("--dynamic_axes: expected an object such as {\"input\": {\"0\": \"batch\"}}");
  AxesSpec spec;
  for (const auto& [name, axes] : j.items()) {
    auto& out = spec[name];
    if (axes.is_array()) {
      for (const auto& a : axes) {
        if (!a.is_number_integer() || a.get<int64_t>() < 0)
          throw bad_input("--dynamic_axes: the axes of '" + name + "' must be numbers");
        out[a.get<int64_t>()] = default_symbol(name, a.get<int64_t>());
      }
    } else if (axes.is_object()) {
      for (const auto& [axis, symbol] : axes.items()) {
        if (!symbol.is_string())
          throw bad_input("--dynamic_axes: the symbol of axis " + axis + " of '" + name +
                          "' must be a string");
        const int64_t a = parse_axis(axis, "'" + name + "'");
        out[a] = symbol.get<std::string>();
        check_symbol(out[a], "'" + name + "'");
      }
    } else {
      throw bad_input("--dynamic_axes: '" + name +
                      "' must map to {\"axis\": \"symbol\"} or [axes]");
    }
    if (out.empty()) throw bad_input("--dynamic_axes: '" + name + "' names no axis");
  }
  return spec;
}

// NAME:AXES[;NAME:AXES], AXES = AXIS[=SYMBOL][,...]
AxesSpec parse_short(const std::string& text) {
  AxesSpec spec;
  std::stringstream entries(text);
  std::string entry;
  while (std::getline(entries, entry, ';')) {
    if (entry.empty()) continue;
    const size_t colon = entry.find(':');
    if (colon == std::string::npos || colon == 0)
      throw bad_input("--dynamic_axes: '" + entry +
                      "' is not NAME:AXES (e.g. input:0,2,3) nor JSON");
    const std::string name = entry.substr(0, colon);
    auto& out = spec[name];
    std::stringstream axes(entry.substr(colon + 1));
    std::string item;
    while (std::getline(axes, item, ',')) {
      const size_t eq = item.find('=');
      const int64_t a = parse_axis(item.substr(0, eq), "'" + entry + "'");
      out[a] = eq == std::string::npos ? default_symbol(name, a) : item.substr(eq + 1);
      check_symbol(out[a], "'" + entry + "'");
    }
    if (out.empty()) throw bad_input("--dynamic_axes: '" + entry + "' names no axis");
  }
  if (spec.empty()) throw bad_input("--dynamic_axes: empty spec");
  return spec;
}

std::string names_of(const std::vector<ir::Value*>& values) {
  std::string out;
  for (const ir::Value* v : values) out += (out.empty() ? "" : ", ") + v->name;
  return out;
}

// The model's own reason for failing on `inputs`. An eager run reports only the interpreter's
// first line; the recording run of the import names the op and quotes the error.
std::string model_message(ExportJob& job, const std::vector<ir::Tensor>& inputs,
                          const std::exception& eager) {
  try {
    job.model.source->to_ir(inputs, frontend::ImportOptions{});
  } catch (const std::exception& e) {
    return first_line(e.what());
  }
  return first_line(eager.what());
}

}  // namespace

AxesSpec parse_dynamic_axes(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t\n");
  if (first != std::string::npos && text[first] == '{') return parse_json(text);
  return parse_short(text);
}

int64_t second_size(int64_t size, int64_t axis) {
  if (axis == 0) return size == 1 ? 2 : size + 1;
  // Image sides that are multiples of 32 stay so, as strided networks expect.
  return size % 32 == 0 ? size + 32 : size + 1;
}

std::vector<std::string> dynamic_symbols(const ExportJob& job) {
  std::vector<std::string> out;
  for (const auto& a : job.dynamic_axes)
    if (std::find(out.begin(), out.end(), a.symbol) == out.end()) out.push_back(a.symbol);
  return out;
}

Specs vary_axes(const ExportJob& job, const std::string& symbol) {
  Specs specs = job.specs;
  for (const auto& a : job.dynamic_axes)
    if (a.symbol == symbol) {
      auto& shape = specs[a.input].second;
      shape[static_cast<size_t>(a.axis)] = second_size(shape[static_cast<size_t>(a.axis)], a.axis);
    }
  return specs;
}

std::vector<ir::Tensor> inputs_at(const ExportJob& job, const Specs& specs, uint64_t seed) {
  if (!job.request.validation.sample_input.empty()) return wrapped_inputs(job.inputs, specs);
  return random_inputs(specs, seed);
}

void collect_dynamic_axes(ExportJob& job, const ir::Graph& graph) {
  job.dynamic_axes.clear();
  for (size_t k = 0; k < graph.inputs().size(); ++k) {
    const ir::Value* v = graph.inputs()[k];
    if (!v->shape) continue;
    for (size_t d = 0; d < v->shape->size(); ++d)
      if (!(*v->shape)[d].is_fixed())
        job.dynamic_axes.push_back({k, static_cast<int64_t>(d), (*v->shape)[d].symbol});
  }
}

void apply_dynamic_axes(ExportJob& job, ir::Graph& graph, const AxesSpec& spec) {
  const auto& inputs = graph.inputs();
  const auto& outputs = graph.outputs();
  struct OutputAxis {
    size_t output;
    int64_t axis;
    std::string symbol;
  };
  std::vector<OutputAxis> wanted_outputs;
  job.dynamic_axes.clear();
  for (const auto& [name, axes] : spec) {
    auto in = std::find_if(inputs.begin(), inputs.end(),
                           [&](const ir::Value* v) { return v->name == name; });
    auto out = std::find_if(outputs.begin(), outputs.end(),
                            [&](const ir::Value* v) { return v->name == name; });
    if (in == inputs.end() && out == outputs.end())
      throw bad_input("--dynamic_axes names '" + name + "', which is not an input (" +
                      names_of(inputs) + ") nor an output (" + names_of(outputs) +
                      ") of the model");
    for (const auto& [axis, symbol] : axes) {
      if (in != inputs.end()) {
        const size_t k = static_cast<size_t>(in - inputs.begin());
        const size_t rank = job.specs[k].second.size();
        if (static_cast<size_t>(axis) >= rank)
          throw bad_input("--dynamic_axes: input '" + name + "' has " + std::to_string(rank) +
                          " axes, so it has no axis " + std::to_string(axis));
        job.dynamic_axes.push_back({k, axis, symbol});
      } else {
        wanted_outputs.push_back({static_cast<size_t>(out - outputs.begin()), axis, symbol});
      }
    }
  }
  // Axes sharing a symbol must agree in size now, as they will at run time.
  std::map<std::string, int64_t> size_of;
  for (const auto& a : job.dynamic_axes) {
    const int64_t size = job.specs[a.input].second[static_cast<size_t>(a.axis)];
    auto [it, fresh] = size_of.emplace(a.symbol, size);
    if (!fresh && it->second != size)
      throw bad_input("--dynamic_axes: the axes named '" + a.symbol + "' have different sizes (" +
                      std::to_string(it->second) + " and " + std::to_string(size) + ")");
  }
  // The import's own input symbols ("batch_size"): an output dim named by one of them follows an
  // input axis, which the runs below decide.
  std::set<std::string> import_symbols;
  for (const ir::Value* in : inputs)
    if (in->shape)
      for (const ir::Dim& dim : *in->shape)
        if (!dim.is_fixed()) import_symbols.insert(dim.symbol);
  for (size_t k = 0; k < inputs.size(); ++k) {
    ir::Shape shape = ir::fixed_shape(job.specs[k].second);
    for (const auto& a : job.dynamic_axes)
      if (a.input == k) shape[static_cast<size_t>(a.axis)] = ir::Dim::named(a.symbol);
    inputs[k]->shape = shape;
  }

  // Which output dims follow each symbol: the model run at the symbol's second size.
  const std::vector<ir::Tensor> base = job.reference_runs.run(*job.model.reference, job.inputs);
  std::vector<ir::Shape> out_shapes;
  for (const auto& t : base) out_shapes.push_back(ir::fixed_shape(t.shape));
  for (const std::string& symbol : dynamic_symbols(job)) {
    const Specs varied = vary_axes(job, symbol);
    const int64_t old_size = size_of[symbol];
    int64_t new_size = old_size;
    std::string where;
    for (const auto& a : job.dynamic_axes)
      if (a.symbol == symbol) {
        new_size = varied[a.input].second[static_cast<size_t>(a.axis)];
        where += std::string(where.empty() ? "" : ", ") + "axis " + std::to_string(a.axis) +
                 " of '" + inputs[a.input]->name + "'";
      }
    std::vector<ir::Tensor> other;
    const std::vector<ir::Tensor> varied_inputs =
        inputs_at(job, varied, job.request.validation.seed + 1);
    try {
      other = job.reference_runs.run(*job.model.reference, varied_inputs);
    } catch (const std::exception& e) {
      throw bad_input("--dynamic_axes: " + where + " ('" + symbol +
                      "') cannot be dynamic: the model fails at size " + std::to_string(new_size) +
                      " instead of " + std::to_string(old_size) + ": " +
                      model_message(job, varied_inputs, e));
    }
    for (size_t o = 0; o < base.size() && o < other.size(); ++o) {
      if (other[o].shape.size() != base[o].shape.size())
        throw bad_input("--dynamic_axes: output '" + outputs[o]->name + "' changes rank when " +
                        where + " changes size");
      for (size_t d = 0; d < base[o].shape.size(); ++d) {
        if (other[o].shape[d] == base[o].shape[d]) continue;
        ir::Dim& dim = out_shapes[o][d];
        const bool follows = base[o].shape[d] == old_size && other[o].shape[d] == new_size;
        if (dim.is_fixed())
          dim = ir::Dim::named(follows ? symbol : outputs[o]->name + "_dim" + std::to_string(d));
        else if (dim.symbol != symbol)  // follows several symbols
          dim = ir::Dim::named(outputs[o]->name + "_dim" + std::to_string(d));
      }
    }
  }
  // Any other dim the graph leaves open is decided by the data (a detector's count, known only
  // when the model runs): it stays open whatever sizes the runs above happened to give it.
  for (size_t o = 0; o < outputs.size() && o < out_shapes.size(); ++o) {
    const auto& graph_shape = outputs[o]->shape;
    if (!graph_shape || graph_shape->size() != out_shapes[o].size()) continue;
    for (size_t d = 0; d < graph_shape->size(); ++d) {
      const ir::Dim& open = (*graph_shape)[d];
      if (out_shapes[o][d].is_fixed() && !open.is_fixed() && !import_symbols.count(open.symbol))
        out_shapes[o][d] = open;
    }
  }
  for (const auto& w : wanted_outputs) {
    if (w.output >= out_shapes.size() || static_cast<size_t>(w.axis) >= out_shapes[w.output].size())
      throw bad_input("--dynamic_axes: output '" + outputs[w.output]->name + "' has no axis " +
                      std::to_string(w.axis));
    ir::Dim& dim = out_shapes[w.output][static_cast<size_t>(w.axis)];
    if (dim.is_fixed())
      throw bad_input("--dynamic_axes: axis " + std::to_string(w.axis) + " of output '" +
                      outputs[w.output]->name + "' stays " + std::to_string(dim.size) +
                      " whatever the dynamic input axes are, so it cannot be dynamic");
    dim = ir::Dim::named(w.symbol);
  }
  for (size_t o = 0; o < outputs.size() && o < out_shapes.size(); ++o) {
    if (outputs[o]->shape && outputs[o]->shape->size() == out_shapes[o].size())
      outputs[o]->shape = out_shapes[o];
  }
}

}  // namespace mlexport::core
