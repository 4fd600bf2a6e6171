#include "frontend/checkpoint/torch_file.h"

#include <cstring>
#include <unordered_map>

#include "frontend/checkpoint/mapped_file.h"
#include "frontend/checkpoint/pickle.h"
#include "frontend/checkpoint/zip_reader.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::checkpoint {

using pyvalue::ValuePtr;

namespace {

using pyvalue::Value;
using Kind = Value::Kind;

// Expanded views (stride 0, overlapping windows) may make the tensors larger than the file, but
// not without bound.
uint64_t output_budget(size_t file_size) {
  return 2 * uint64_t(file_size) + (uint64_t(64) << 20);
}

bool is_tar(const std::byte* data, size_t size) {
  return size >= 262 && std::memcmp(data + 257, "ustar", 5) == 0;
}

std::string as_text(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

ValuePtr load_zip(const std::byte* data, size_t size, const std::string& path) {
  ZipReader zip(data, size, path);
  // <archive name>/data.pkl; the archive name is the saved file's stem (or "archive").
  const ZipEntry* pkl = nullptr;
  std::string prefix;
  for (const auto& e : zip.entries()) {
    const size_t slash = e.name.find('/');
    if (slash != std::string::npos &&
        e.name.compare(slash + 1, std::string::npos, "data.pkl") == 0) {
      prefix = e.name.substr(0, slash + 1);
      pkl = &e;
      break;
    }
  }
  if (!pkl)
    throw bad_input(path + ": a zip archive without <name>/data.pkl: not a torch.save checkpoint");
  if (const ZipEntry* order = zip.find(prefix + "byteorder")) {
    const std::string text = as_text(zip.read(*order, true));
    if (text == "big") throw bad_input(path + ": big-endian checkpoints are not supported");
    if (text != "little")
      throw bad_input(path + ": malformed byteorder record '" + text.substr(0, 16) + "'");
  }
  const auto pickle = zip.read(*pkl, /*verify_crc=*/true);
  auto result = detail::unpickle(pickle.data(), pickle.size(), 0, path, pkl->name);

  std::unordered_map<std::string, std::span<const std::byte>> records;
  for (const auto& decl : result.storages) {
    const ZipEntry* e = zip.find(prefix + "data/" + decl.key);
    if (!e)
      throw bad_input(path + ": the pickle refers to storage '" + decl.key + "' but " + prefix +
                      "data/" + decl.key + " is missing");
    if (e->size < decl.nbytes)
      throw bad_input(path + ": storage " + e->name + " holds " + std::to_string(e->size) +
                      " bytes, fewer than the " + std::to_string(decl.nbytes) +
                      " the pickle declares");
    // torch.save stores storages uncompressed and exactly as large as declared; a deflated one
    // that inflates to more would only cost memory (a zip bomb), so it is refused unread.
    if (e->method != 0 && e->size > decl.nbytes)
      throw bad_input(path + ": storage " + e->name + " inflates to " + std::to_string(e->size) +
                      " bytes, more than the " + std::to_string(decl.nbytes) +
                      " the pickle declares (a zip bomb?)");
    records.emplace(decl.key, zip.read(*e));
  }
  detail::materialize(
      result.tensors,
      [&](const std::string& key) {
        auto it = records.find(key);
        if (it == records.end()) throw bad_input(path + ": storage '" + key + "' is missing");
        return it->second;
      },
      path, output_budget(size));
  return result.root;
}

ValuePtr load_legacy(const std::byte* data, size_t size, const std::string& path) {
  size_t pos = 0;
  detail::PickleResult magic;
  try {
    magic = detail::unpickle(data, size, pos, path, "magic number");
  } catch (const RefusedPickle&) {
    throw;
  } catch (const Error&) {
    magic.root = nullptr;
  }
  if (!magic.root || magic.root->kind != Kind::Object || magic.root->class_name != "builtins.int" ||
      magic.root->s != "119547037146038801333356")  // 0x1950a86a20f9469cfc6c
    throw bad_input(path +
                    ": not a PyTorch checkpoint (neither a zip archive nor the legacy torch.save "
                    "format)");
  pos = magic.end;
  auto version = detail::unpickle(data, size, pos, path, "protocol version");
  pos = version.end;
  if (version.root->kind != Kind::Int || version.root->i != 1001)
    throw bad_input(path + ": unsupported legacy checkpoint protocol version " +
                    version.root->repr(1));
  auto sys_info = detail::unpickle(data, size, pos, path, "sys_info");
  pos = sys_info.end;
  if (sys_info.root->kind != Kind::Dict) throw bad_input(path + ": malformed legacy sys_info");
  if (const Value* le = sys_info.root->get("little_endian"); le && le->kind == Kind::Bool && !le->b)
    throw bad_input(path + ": big-endian checkpoints are not supported");

  auto result = detail::unpickle(data, size, pos, path, "object pickle");
  pos = result.end;
  auto keys = detail::unpickle(data, size, pos, path, "storage key list");
  pos = keys.end;
  if (keys.root->kind != Kind::List) throw bad_input(path + ": malformed legacy storage key list");

  std::unordered_map<std::string, const detail::StorageDecl*> decls;
  for (const auto& d : result.storages) decls.emplace(d.key, &d);
  std::unordered_map<std::string, std::span<const std::byte>> records;
  for (const auto& key_value : keys.root->items) {
    if (key_value->kind != Kind::String && key_value->kind != Kind::Bytes)
      throw bad_input(path + ": malformed legacy storage key list");
    const std::string& key = key_value->s;
    auto it = decls.find(key);
    if (it == decls.end())
      throw bad_input(path + ": legacy storage '" + key + "' is listed but never referenced");
    if (records.count(key)) throw bad_input(path + ": legacy storage '" + key + "' listed twice");
    if (size - pos < 8) throw bad_input(path + ": truncated (storage '" + key + "' is missing)");
    uint64_t count = 0;
    for (int k = 0; k < 8; ++k)
      count |= uint64_t(std::to_integer<uint8_t>(data[pos + k])) << (8 * k);
    pos += 8;
    if (count != it->second->numel)
      throw bad_input(path + ": legacy storage '" + key + "' holds " + std::to_string(count) +
                      " elements, not the " + std::to_string(it->second->numel) +
                      " the pickle declares");
    const uint64_t nbytes = it->second->nbytes;
    if (size - pos < nbytes)
      throw bad_input(path + ": truncated (storage '" + key + "' needs " + std::to_string(nbytes) +
                      " bytes, " + std::to_string(size - pos) + " left)");
    records.emplace(key, std::span<const std::byte>(data + pos, nbytes));
    pos += nbytes;
  }
  detail::materialize(
      result.tensors,
      [&](const std::string& key) {
        auto it = records.find(key);
        if (it == records.end())
          throw bad_input(path + ": legacy storage '" + key + "' is referenced but not stored");
        return it->second;
      },
      path, output_budget(size));
  return result.root;
}

}  // namespace

ValuePtr load_torch_bytes(const void* data, size_t size, const std::string& name) {
  const auto* p = static_cast<const std::byte*>(data);
  if (size == 0) throw bad_input(name + ": empty file");
  if (looks_like_zip(p, size)) return load_zip(p, size, name);
  if (is_tar(p, size))
    throw bad_input(name +
                    ": a tar-format checkpoint (PyTorch 0.3 and older) is not supported; re-save "
                    "it with a newer PyTorch");
  return load_legacy(p, size, name);
}

ValuePtr load_torch_file(const std::string& path) {
  MappedFile file(path);
  return load_torch_bytes(file.data(), file.size(), path);
}

}  // namespace mlexport::frontend::checkpoint
