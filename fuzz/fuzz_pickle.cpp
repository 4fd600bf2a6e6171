// libFuzzer target: mlexport's unpickler on arbitrary bytes, then tensor materialization from fake
// storages (zero-filled, as large as each persistent id claims, capped), then tensors_of and repr
// on the result. Anything but an mlexport::Error (bad_input) is a bug; so is any sanitizer report.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "frontend/checkpoint/pickle.h"
#include "frontend/checkpoint/state_dict_tensors.h"
#include "mlexport/diagnostics.h"
#include "pyvalue/value.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlexport::frontend::checkpoint;
  constexpr uint64_t kMaxFakeStorage = 1 << 20;
  try {
    auto result =
        detail::unpickle(reinterpret_cast<const std::byte*>(data), size, 0, "fuzz.pkl", "pickle");
    std::map<std::string, std::vector<std::byte>> storages;
    for (const auto& s : result.storages)
      storages[s.key].resize(s.nbytes < kMaxFakeStorage ? s.nbytes : kMaxFakeStorage);
    detail::materialize(
        result.tensors,
        [&](const std::string& key) {
          const auto& v = storages.at(key);
          return std::span<const std::byte>(v.data(), v.size());
        },
        "fuzz.pkl", 64 << 20);
    (void)result.root->repr(4);
    (void)tensors_of(*result.root);
  } catch (const mlexport::Error&) {
  }
  return 0;
}
