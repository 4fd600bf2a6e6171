#include "core/checkpoint_config.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "mlexport/diagnostics.h"

namespace mlexport::core {

void apply_checkpoint_config(std::string_view text, const std::string& what, CheckpointInfo& info) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) throw bad_input(what + ": not valid JSON");
  if (!j.is_object()) throw bad_input(what + ": expected a JSON object");
  for (const char* key : kArchKeys)
    if (j.contains(key) && j[key].is_string()) {
      info.arch = j[key].get<std::string>();
      info.arch_key = std::string("config.json ") + key;
      break;
    }
  for (const char* key : kClassKeys)
    if (j.contains(key) && j[key].is_number_integer()) info.num_classes = j[key].get<int64_t>();
  for (const char* key : kTaskKeys)
    if (j.contains(key) && j[key].is_string()) {
      info.task = j[key].get<std::string>();
      break;
    }
  for (const char* key : kOutputKeys)
    if (j.contains(key) && j[key].is_number_integer()) {
      info.num_outputs = j[key].get<int64_t>();
      break;
    }
  for (const char* key : kClassNameKeys) {
    if (!j.contains(key) || !info.class_names.empty()) continue;
    const auto& v = j[key];
    if (v.is_array() &&
        std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_string(); }))
      info.class_names = v.get<std::vector<std::string>>();
    if (v.is_object()) {  // class_to_idx {"cat": 0}, or idx_to_class {"0": "cat"}
      std::map<int64_t, std::string> by_index;
      for (const auto& [name, index] : v.items()) {
        if (index.is_number_integer()) by_index[index.get<int64_t>()] = name;
        if (index.is_string() && !name.empty() && std::isdigit(static_cast<unsigned char>(name[0])))
          by_index[std::stoll(name)] = index.get<std::string>();
      }
      for (const auto& [index, name] : by_index) info.class_names.push_back(name);
    }
  }
  for (const char* key : kInputKeys) {
    if (!j.contains(key)) continue;
    const auto& v = j[key];
    if (v.is_number_integer()) info.input_chw = {3, v.get<int64_t>(), v.get<int64_t>()};
    if (!v.is_array() || (v.size() != 2 && v.size() != 3)) continue;
    // get<int64_t>() of a string throws nlohmann's type_error and of a float truncates.
    for (const auto& d : v)
      if (!d.is_number_integer())
        throw bad_input(what + ": " + key + " must hold integers; found " + d.type_name());
    if (v.size() == 2) info.input_chw = {3, v[0].get<int64_t>(), v[1].get<int64_t>()};
    if (v.size() == 3) info.input_chw = v.get<std::vector<int64_t>>();
  }
}

}  // namespace mlexport::core
