#include "frontend/checkpoint/safetensors.h"

#include <algorithm>
#include <bit>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_set>

#include "frontend/checkpoint/bytes.h"
#include "frontend/checkpoint/mapped_file.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::checkpoint {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian and copied as is");

namespace {

using ir::DType;
using Json = nlohmann::ordered_json;

constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr int kMaxJsonDepth = 4;  // {name: {key: [ints]}} is depth 3
constexpr size_t kMaxRank = 64;

std::optional<DType> parse_safetensors_dtype(const std::string& s) {
  if (s == "F32") return DType::Float32;
  if (s == "F16") return DType::Float16;
  if (s == "BF16") return DType::BFloat16;
  if (s == "F64") return DType::Float64;
  if (s == "I64") return DType::Int64;
  if (s == "I32") return DType::Int32;
  if (s == "I16") return DType::Int16;
  if (s == "I8") return DType::Int8;
  if (s == "U8") return DType::UInt8;
  if (s == "BOOL") return DType::Bool;
  return std::nullopt;
}

struct HeaderError {
  std::string message;
};

}  // namespace

std::vector<std::pair<std::string, ir::Tensor>> load_safetensors_bytes(
    const void* data, size_t size, const std::string& name,
    std::map<std::string, std::string>* metadata) {
  const auto* bytes = static_cast<const std::byte*>(data);
  auto fail = [&](const std::string& message) -> Error {
    return bad_input(name + ": malformed safetensors file: " + message);
  };
  if (size < 8) throw fail("truncated (no header length)");
  uint64_t header_len = 0;
  for (int k = 0; k < 8; ++k) header_len |= uint64_t(std::to_integer<uint8_t>(bytes[k])) << (8 * k);
  if (header_len > size - 8)
    throw fail("header length " + std::to_string(header_len) + " exceeds the file (" +
               std::to_string(size) + " bytes)");
  if (header_len > kMaxHeaderBytes)
    throw fail("header length " + std::to_string(header_len) + " exceeds 100 MB");
  const char* header = reinterpret_cast<const char*>(bytes + 8);
  if (header_len == 0 || header[0] != '{') throw fail("the header is not a JSON object");
  const std::byte* buffer = bytes + 8 + header_len;
  const uint64_t buffer_size = size - 8 - header_len;

  Json json;
  std::unordered_set<std::string> names;
  try {
    Json::parser_callback_t guard = [&](int depth, Json::parse_event_t event, Json& parsed) {
      if (depth > kMaxJsonDepth) throw HeaderError{"the header nests too deeply"};
      if (event == Json::parse_event_t::key && depth == 1 &&
          !names.insert(parsed.get<std::string>()).second)
        throw HeaderError{"duplicate tensor name '" + parsed.get<std::string>() + "'"};
      return true;
    };
    json = Json::parse(header, header + header_len, guard);
  } catch (const HeaderError& e) {
    throw fail(e.message);
  } catch (const Json::exception& e) {
    throw fail(std::string("bad JSON header: ") + e.what());
  }
  if (!json.is_object()) throw fail("the header is not a JSON object");

  struct Item {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    uint64_t begin, end;
  };
  std::vector<Item> items;
  items.reserve(json.size());
  std::map<std::string, std::string> meta;
  for (const auto& [key, entry] : json.items()) {
    if (key == "__metadata__") {
      if (!entry.is_object()) throw fail("__metadata__ is not an object");
      for (const auto& [mk, mv] : entry.items()) {
        if (!mv.is_string()) throw fail("__metadata__ value of '" + mk + "' is not a string");
        meta[mk] = mv.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + key + "'";
    if (!entry.is_object()) throw fail(where + " is not an object");
    const auto dt = entry.find("dtype");
    const auto sh = entry.find("shape");
    const auto off = entry.find("data_offsets");
    if (dt == entry.end() || sh == entry.end() || off == entry.end())
      throw fail(where + " lacks dtype, shape or data_offsets");
    if (!dt->is_string()) throw fail(where + ": dtype is not a string");
    const auto dtype = parse_safetensors_dtype(dt->get<std::string>());
    if (!dtype)
      throw bad_input(name + ": " + where + " has dtype " + dt->get<std::string>().substr(0, 32) +
                      ", which mlexport does not read (F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)");
    if (!sh->is_array() || sh->size() > kMaxRank) throw fail(where + ": bad shape");
    Item item{key, *dtype, {}, 0, 0};
    uint64_t numel = 1;
    for (const auto& d : *sh) {
      if (!d.is_number_unsigned()) throw fail(where + ": shape holds a non-natural number");
      const uint64_t v = d.get<uint64_t>();
      if (v > (uint64_t(1) << 62) || __builtin_mul_overflow(numel, v, &numel))
        throw fail(where + ": absurd shape");
      item.shape.push_back(static_cast<int64_t>(v));
    }
    if (!off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
      throw fail(where + ": data_offsets is not [begin, end]");
    item.begin = (*off)[0].get<uint64_t>();
    item.end = (*off)[1].get<uint64_t>();
    if (item.begin > item.end || item.end > buffer_size)
      throw fail(where + ": data_offsets [" + std::to_string(item.begin) + ", " +
                 std::to_string(item.end) + "] lie outside the " + std::to_string(buffer_size) +
                 "-byte buffer");
    uint64_t nbytes = 0;
    if (__builtin_mul_overflow(numel, ir::dtype_size(*dtype), &nbytes) ||
        nbytes != item.end - item.begin)
      throw fail(where + ": shape " + ir::shape_to_string(item.shape) + " of " +
                 dt->get<std::string>() + " needs " + std::to_string(nbytes) + " bytes, but " +
                 std::to_string(item.end - item.begin) + " are given");
    items.push_back(std::move(item));
  }
  // No two tensors may share bytes.
  std::vector<const Item*> by_offset;
  for (const auto& it : items)
    if (it.end > it.begin) by_offset.push_back(&it);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Item* a, const Item* b) { return a->begin < b->begin; });
  for (size_t k = 1; k < by_offset.size(); ++k)
    if (by_offset[k]->begin < by_offset[k - 1]->end)
      throw fail("tensors '" + by_offset[k - 1]->name + "' and '" + by_offset[k]->name +
                 "' overlap");

  std::vector<std::pair<std::string, ir::Tensor>> out;
  out.reserve(items.size());
  for (auto& it : items) {
    ir::Tensor t;
    t.dtype = it.dtype;
    t.shape = std::move(it.shape);
    t.bytes = detail::copy_of(buffer + it.begin, it.end - it.begin);
    out.emplace_back(std::move(it.name), std::move(t));
  }
  if (metadata) *metadata = std::move(meta);  // only on success: no partial output
  return out;
}

std::vector<std::pair<std::string, ir::Tensor>> load_safetensors(
    const std::string& path, std::map<std::string, std::string>* metadata) {
  MappedFile file(path);
  if (file.size() == 0) throw bad_input(path + ": empty file");
  return load_safetensors_bytes(file.data(), file.size(), path, metadata);
}

}  // namespace mlexport::frontend::checkpoint
