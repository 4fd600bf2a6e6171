#include "core/checkpoint_info.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/checkpoint_config.h"
#include "frontend/checkpoint/checkpoint.h"
#include "frontend/checkpoint/mapped_file.h"
#include "frontend/checkpoint/zip_reader.h"
#include "mlexport/diagnostics.h"

namespace mlexport::core {
namespace {

namespace fs = std::filesystem;
using pyvalue::Value;

const char* const kStateKeys[] = {"state_dict", "model_state_dict", "model", "net", "weights"};

// Dict lookup that also sees through inert records (AttributeDict, Namespace, config classes).
const Value* lookup(const Value* v, const std::string& key) {
  if (!v) return nullptr;
  if (const Value* hit = v->get(key)) return hit;
  if (v->kind == Value::Kind::Object && v->state) return v->state->get(key);
  return nullptr;
}

std::vector<int64_t> input_from(const Value& v) {
  std::vector<int64_t> dims;
  if (v.kind == Value::Kind::Int) return {3, v.i, v.i};
  if (v.kind == Value::Kind::List || v.kind == Value::Kind::Tuple)
    for (const auto& item : v.items)
      if (item->kind == Value::Kind::Int) dims.push_back(item->i);
  if (dims.size() == 2) return {3, dims[0], dims[1]};
  if (dims.size() == 3) return dims;
  if (dims.size() == 4) return {dims[1], dims[2], dims[3]};
  return {};
}

// Class names: a list/tuple of strings, or a dict name -> index (class_to_idx) or index -> name.
std::vector<std::string> names_from(const Value& v) {
  std::vector<std::string> names;
  if (v.kind == Value::Kind::List || v.kind == Value::Kind::Tuple) {
    for (const auto& item : v.items) {
      if (!item->is_string()) return {};
      names.push_back(item->s);
    }
    return names;
  }
  if (v.kind != Value::Kind::Dict) return {};
  std::map<int64_t, std::string> by_index;
  for (const auto& [key, value] : v.entries) {
    if (key->is_string() && value->kind == Value::Kind::Int)
      by_index[value->i] = key->s;
    else if (key->kind == Value::Kind::Int && value->is_string())
      by_index[key->i] = value->s;
    else
      return {};
  }
  for (const auto& [index, name] : by_index) names.push_back(name);
  return names;
}

bool all_tensors(const Value& v) {
  if (v.kind != Value::Kind::Dict || v.entries.empty()) return false;
  for (const auto& [key, value] : v.entries)
    if (!value->is_tensor()) return false;
  return true;
}

void read_conventions(const Value& root, CheckpointInfo& info) {
  const Value* hparams = lookup(&root, "hyper_parameters");
  if (!hparams) hparams = lookup(&root, "hparams");
  if (!hparams) hparams = lookup(&root, "config");
  const Value* scopes[] = {&root, hparams};
  const char* scope_names[] = {"", "hyper_parameters."};
  for (int s = 0; s < 2 && info.arch.empty(); ++s)
    for (const char* key : kArchKeys) {
      const Value* v = lookup(scopes[s], key);
      if (v && v->is_string() && !v->s.empty()) {
        info.arch = v->s;
        info.arch_key = std::string(scope_names[s]) + key;
        break;
      }
    }
  for (int s = 0; s < 2 && info.num_classes < 0; ++s)
    for (const char* key : kClassKeys) {
      const Value* v = lookup(scopes[s], key);
      if (v && v->kind == Value::Kind::Int) {
        info.num_classes = v->i;
        break;
      }
    }
  for (int s = 0; s < 2 && info.task.empty(); ++s)
    for (const char* key : kTaskKeys) {
      const Value* v = lookup(scopes[s], key);
      if (v && v->is_string() && !v->s.empty()) {
        info.task = v->s;
        break;
      }
    }
  for (int s = 0; s < 2 && info.num_outputs < 0; ++s)
    for (const char* key : kOutputKeys) {
      const Value* v = lookup(scopes[s], key);
      if (v && v->kind == Value::Kind::Int) {
        info.num_outputs = v->i;
        break;
      }
    }
  for (int s = 0; s < 2 && info.class_names.empty(); ++s)
    for (const char* key : kClassNameKeys) {
      const Value* v = lookup(scopes[s], key);
      if (v && !(info.class_names = names_from(*v)).empty()) break;
    }
  for (int s = 0; s < 2 && info.input_chw.empty(); ++s)
    for (const char* key : kInputKeys) {
      const Value* v = lookup(scopes[s], key);
      if (v && !(info.input_chw = input_from(*v)).empty()) break;
    }
  // The weights: a bare state dict, or one under a conventional key.
  if (all_tensors(root)) {
    info.state = frontend::checkpoint::tensors_of(root);
  } else {
    for (const char* key : kStateKeys) {
      const Value* v = lookup(&root, key);
      if (v && v->is_dict_like()) {
        info.state = frontend::checkpoint::tensors_of(*v);
        if (!info.state.empty()) break;
      }
    }
  }
  for (const auto& [key, value] : root.entries) {
    if (!key->is_string()) continue;
    switch (value->kind) {
      case Value::Kind::Int:
        info.metadata[key->s] = std::to_string(value->i);
        break;
      case Value::Kind::Float:
        info.metadata[key->s] = std::to_string(value->f);
        break;
      case Value::Kind::String:
        if (value->s.size() < 200) info.metadata[key->s] = value->s;
        break;
      case Value::Kind::Bool:
        info.metadata[key->s] = value->b ? "true" : "false";
        break;
      default:
        break;
    }
  }
}

void read_config_json(const std::string& path, CheckpointInfo& info) {
  fs::path config = fs::path(path).parent_path() / "config.json";
  std::error_code ec;
  if (!fs::is_regular_file(config, ec)) return;
  std::ifstream in(config, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw bad_input(config.string() + ": cannot read");
  apply_checkpoint_config(text.str(), config.string(), info);
}

}  // namespace

SourceKind detect_source_kind(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw bad_input(path + ": no such file");
  if (fs::is_directory(path, ec)) throw bad_input(path + ": is a directory");
  frontend::checkpoint::MappedFile file(path);
  const auto* data = file.data();
  const size_t size = file.size();
  if (size == 0) throw bad_input(path + ": the file is empty");
  if (frontend::checkpoint::looks_like_zip(data, size)) {
    frontend::checkpoint::ZipReader zip(data, size, path);
    for (const auto& entry : zip.entries()) {
      const std::string& n = entry.name;
      if (n.size() >= 13 && n.compare(n.size() - 13, 13, "constants.pkl") == 0)
        return SourceKind::kTorchScript;
      if (n.find("/code/") != std::string::npos) return SourceKind::kTorchScript;
    }
    return SourceKind::kTorchCheckpoint;
  }
  // A pickle starts with PROTO (0x80); the legacy torch.save format starts with one too.
  if (static_cast<unsigned char>(data[0]) == 0x80) return SourceKind::kTorchCheckpoint;
  // safetensors: 8-byte little-endian header length, then a JSON object.
  if (size > 9 && static_cast<char>(data[8]) == '{') return SourceKind::kSafetensors;
  throw bad_input(path +
                  ": not a TorchScript archive, a torch.save checkpoint or a safetensors file");
}

CheckpointInfo read_checkpoint(const std::string& path, SourceKind kind) {
  CheckpointInfo info;
  if (kind == SourceKind::kSafetensors) {
    std::map<std::string, std::string> meta;
    info.state = frontend::checkpoint::load_safetensors(path, &meta);
    for (const auto& [key, value] : meta) {
      info.metadata[key] = value;
      if ((key == "model_name" || key == "arch" || key == "architecture") && info.arch.empty()) {
        info.arch = value;
        info.arch_key = "safetensors metadata " + key;
      }
    }
    read_config_json(path, info);
    return info;
  }
  pyvalue::ValuePtr root = frontend::checkpoint::load_torch_file(path);
  if (!root->is_dict_like())
    throw bad_input(path + ": the checkpoint holds a " + std::string(Value::kind_name(root->kind)) +
                    ", not a state dict or a dict with one");
  read_conventions(*root, info);
  if (info.state.empty()) throw bad_input(path + ": no weights found in the checkpoint");
  return info;
}

}  // namespace mlexport::core
