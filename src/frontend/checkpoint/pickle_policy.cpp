// The policy for globals (pickle.h documents it): the deny list, checked when a GLOBAL,
// STACK_GLOBAL or INST names a global, before anything can call it; and the allow table, the one
// list of what REDUCE (and INST/OBJ) may call and which builder makes the result. A call of a
// global not in the table is refused.
#include <algorithm>
#include <iterator>

#include "frontend/checkpoint/pickle_machine.h"

namespace mlexport::frontend::checkpoint::detail {
namespace {

constexpr bool starts_with_module(std::string_view module, std::string_view prefix) {
  return module == prefix ||
         (module.size() > prefix.size() && module.substr(0, prefix.size()) == prefix &&
          module[prefix.size()] == '.');
}

// ---- the deny list (policy 1 in pickle.h) ----

constexpr std::string_view kDeniedTopModules[] = {"os",
                                                  "posix",
                                                  "nt",
                                                  "posixpath",
                                                  "ntpath",
                                                  "subprocess",
                                                  "_posixsubprocess",
                                                  "sys",
                                                  "importlib",
                                                  "imp",
                                                  "zipimport",
                                                  "pkgutil",
                                                  "runpy",
                                                  "site",
                                                  "code",
                                                  "codeop",
                                                  "pty",
                                                  "shutil",
                                                  "tempfile",
                                                  "glob",
                                                  "io",
                                                  "_io",
                                                  "socket",
                                                  "ssl",
                                                  "http",
                                                  "urllib",
                                                  "urllib2",
                                                  "httplib",
                                                  "ftplib",
                                                  "smtplib",
                                                  "telnetlib",
                                                  "requests",
                                                  "webbrowser",
                                                  "ctypes",
                                                  "multiprocessing",
                                                  "threading",
                                                  "_thread",
                                                  "asyncio",
                                                  "signal",
                                                  "pickle",
                                                  "_pickle",
                                                  "cPickle",
                                                  "dill",
                                                  "cloudpickle",
                                                  "marshal",
                                                  "shelve",
                                                  "pdb",
                                                  "bdb",
                                                  "timeit",
                                                  "commands",
                                                  "popen2",
                                                  "platform",
                                                  "types",
                                                  "inspect",
                                                  "operator",
                                                  "_operator",
                                                  "functools",
                                                  "gc",
                                                  "distutils",
                                                  "setuptools",
                                                  "pip"};
constexpr std::string_view kDeniedModules[] = {
    "torch._C",        "torch.ops",           "torch.hub",
    "torch.jit",       "torch.serialization", "torch.utils.cpp_extension",
    "numpy.testing",   "numpy.f2py",          "numpy.distutils",
    "numpy.ctypeslib", "numpy.lib.npyio"};
constexpr std::string_view kDeniedNames[] = {
    "torch.load",         "numpy.load",          "numpy.loadtxt",       "numpy.genfromtxt",
    "numpy.fromfile",     "builtins.eval",       "builtins.exec",       "builtins.execfile",
    "builtins.compile",   "builtins.open",       "builtins.file",       "builtins.input",
    "builtins.raw_input", "builtins.getattr",    "builtins.setattr",    "builtins.delattr",
    "builtins.hasattr",   "builtins.__import__", "builtins.globals",    "builtins.locals",
    "builtins.vars",      "builtins.dir",        "builtins.breakpoint", "builtins.help",
    "builtins.exit",      "builtins.quit",       "builtins.reload",     "builtins.apply"};
// LibTorch's own pickler (torch::pickle_save, TorchScript archives) tags typed containers with
// torch.jit helpers that only return their first argument, so they are safe to follow.
constexpr std::string_view kDenyExceptions[] = {"types.SimpleNamespace",
                                                "torch.jit._pickle.restore_type_tag",
                                                "torch.jit._pickle.build_intlist",
                                                "torch.jit._pickle.build_tensorlist",
                                                "torch.jit._pickle.build_doublelist",
                                                "torch.jit._pickle.build_boollist"};

constexpr bool is_denied(std::string_view module, std::string_view full) {
  for (auto e : kDenyExceptions)
    if (full == e) return false;
  const std::string_view top = module.substr(0, module.find('.'));
  for (auto m : kDeniedTopModules)
    if (top == m) return true;
  for (auto m : kDeniedModules)
    if (starts_with_module(module, m)) return true;
  for (auto n : kDeniedNames)
    if (full == n) return true;
  return false;
}

std::string canonical_module(std::string_view module) {
  if (module == "__builtin__") return "builtins";
  if (module == "copy_reg") return "copyreg";
  if (module == "torch.tensor") return "torch._tensor";  // torch.serialization's own mapping
  return std::string(module);
}

bool valid_dotted_name(std::string_view s) {
  if (s.empty() || s.size() > 512 || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.';
    if (!ok || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return true;
}

constexpr std::string_view module_of(std::string_view global) {
  return global.substr(0, global.rfind('.'));
}

}  // namespace

MPtr Unpickler::global(std::string_view module_in, std::string_view name) {
  if (!valid_dotted_name(module_in) || !valid_dotted_name(name)) fail("malformed global name");
  const std::string module = canonical_module(module_in);
  std::string full = module + "." + std::string(name);
  if (is_denied(module, full)) refuse(full, "a function that can run code or touch the system");
  auto g = make(Kind::Global);
  g->class_name = std::move(full);
  return g;
}

MPtr Unpickler::reduce(const Value& callable, const Value& args_value) {
  if (callable.kind != Kind::Global)
    refuse(callable.class_name.empty()
               ? std::string("a ") + std::string(Value::kind_name(callable.kind))
               : callable.class_name,
           "REDUCE of something that is not a named global");
  if (args_value.kind != Kind::Tuple) fail("REDUCE arguments are not a tuple");
  return call(callable.class_name, args_value.items);
}

MPtr Unpickler::call(const std::string& name, const std::vector<ValuePtr>& args) {
  if (const AllowRule* rule = find_allow_rule(name)) return (this->*rule->build)(name, args);
  if (name == "torch.storage._load_from_bytes")
    refuse(name,
           "a tensor written by pickle.dump rather than torch.save embeds a nested torch.load; "
           "re-save the object with torch.save");
  refuse(name, "not on the allow-list of tensor and container builders");
}

// ---- the allow list (policy 2 in pickle.h) ----

const Unpickler::AllowRule* Unpickler::find_allow_rule(std::string_view global) {
  using enum Builds;
  // Sorted by name, for the binary search below.
  static constexpr AllowRule kAllowList[] = {
      {"_codecs.encode", &Unpickler::codecs_encode, kOther},
      {"argparse.Namespace", &Unpickler::record, kOther},
      {"builtins.bytearray", &Unpickler::build_bytes, kOther},
      {"builtins.bytes", &Unpickler::build_bytes, kOther},
      {"builtins.complex", &Unpickler::record, kOther},
      {"builtins.dict", &Unpickler::build_dict, kOther},
      {"builtins.frozenset", &Unpickler::build_sequence, kOther},
      {"builtins.list", &Unpickler::build_sequence, kOther},
      {"builtins.object", &Unpickler::record, kOther},
      {"builtins.range", &Unpickler::record, kOther},
      {"builtins.set", &Unpickler::build_sequence, kOther},
      {"builtins.slice", &Unpickler::record, kOther},
      {"builtins.tuple", &Unpickler::build_sequence, kOther},
      {"collections.Counter", &Unpickler::build_dict, kOther},
      {"collections.OrderedDict", &Unpickler::build_dict, kOther},
      {"collections.defaultdict", &Unpickler::build_dict, kOther},
      {"collections.deque", &Unpickler::build_sequence, kOther},
      {"copyreg.__newobj__", &Unpickler::copyreg_newobj, kOther},
      {"copyreg.__newobj_ex__", &Unpickler::copyreg_newobj_ex, kOther},
      {"copyreg._reconstructor", &Unpickler::copyreg_reconstructor, kOther},
      {"datetime.date", &Unpickler::record, kOther},
      {"datetime.datetime", &Unpickler::record, kOther},
      {"datetime.time", &Unpickler::record, kOther},
      {"datetime.timedelta", &Unpickler::record, kOther},
      {"datetime.timezone", &Unpickler::record, kOther},
      {"decimal.Decimal", &Unpickler::record, kOther},
      {"fractions.Fraction", &Unpickler::record, kOther},
      {"lightning.fabric.utilities.data.AttributeDict", &Unpickler::record, kOther},
      {"lightning.pytorch.utilities.parsing.AttributeDict", &Unpickler::record, kOther},
      {"lightning_fabric.utilities.data.AttributeDict", &Unpickler::record, kOther},
      {"numpy._core.multiarray._reconstruct", &Unpickler::numpy_reconstruct, kOther},
      {"numpy._core.multiarray.scalar", &Unpickler::numpy_scalar, kOther},
      {"numpy._core.numeric._frombuffer", &Unpickler::numpy_frombuffer, kOther},
      {"numpy.core.multiarray._reconstruct", &Unpickler::numpy_reconstruct, kOther},
      {"numpy.core.multiarray.scalar", &Unpickler::numpy_scalar, kOther},
      {"numpy.core.numeric._frombuffer", &Unpickler::numpy_frombuffer, kOther},
      {"numpy.dtype", &Unpickler::record, kOther},
      {"pathlib.Path", &Unpickler::record, kOther},
      {"pathlib.PosixPath", &Unpickler::record, kOther},
      {"pathlib.PurePath", &Unpickler::record, kOther},
      {"pathlib.PurePosixPath", &Unpickler::record, kOther},
      {"pathlib.PureWindowsPath", &Unpickler::record, kOther},
      {"pathlib.WindowsPath", &Unpickler::record, kOther},
      {"pytorch_lightning.utilities.AttributeDict", &Unpickler::record, kOther},
      {"pytorch_lightning.utilities.parsing.AttributeDict", &Unpickler::record, kOther},
      {"torch.Size", &Unpickler::build_sequence, kOther},
      {"torch._tensor._rebuild_from_type", &Unpickler::rebuild_from_type, kOther},
      {"torch._tensor._rebuild_from_type_v2", &Unpickler::rebuild_from_type, kOther},
      {"torch._utils._rebuild_device_tensor_from_cpu_tensor", &Unpickler::record, kUnreadable},
      {"torch._utils._rebuild_device_tensor_from_numpy", &Unpickler::record, kUnreadable},
      {"torch._utils._rebuild_meta_tensor_no_storage", &Unpickler::record, kUnreadable},
      {"torch._utils._rebuild_nested_tensor", &Unpickler::record, kUnreadable},
      {"torch._utils._rebuild_parameter", &Unpickler::rebuild_parameter, kTensor},
      {"torch._utils._rebuild_parameter_with_state", &Unpickler::rebuild_parameter, kTensor},
      {"torch._utils._rebuild_qtensor", &Unpickler::record, kUnreadable},
      {"torch._utils._rebuild_sparse_compressed_tensor", &Unpickler::record, kUnreadable},
      {"torch._utils._rebuild_sparse_csr_tensor", &Unpickler::record, kUnreadable},
      {"torch._utils._rebuild_sparse_tensor", &Unpickler::record, kUnreadable},
      {"torch._utils._rebuild_tensor", &Unpickler::rebuild_tensor_v1, kTensor},
      {"torch._utils._rebuild_tensor_v2", &Unpickler::rebuild_tensor_v2, kTensor},
      {"torch._utils._rebuild_tensor_v3", &Unpickler::rebuild_tensor_v3, kTensor},
      {"torch._utils._rebuild_wrapper_subclass", &Unpickler::record, kUnreadable},
      {"torch._utils._rebuild_xla_tensor", &Unpickler::record, kUnreadable},
      {"torch.device", &Unpickler::record, kOther},
      {"torch.jit._pickle.build_boollist", &Unpickler::first_argument, kOther},
      {"torch.jit._pickle.build_doublelist", &Unpickler::first_argument, kOther},
      {"torch.jit._pickle.build_intlist", &Unpickler::first_argument, kOther},
      {"torch.jit._pickle.build_tensorlist", &Unpickler::first_argument, kOther},
      {"torch.jit._pickle.restore_type_tag", &Unpickler::first_argument, kOther},
      {"types.SimpleNamespace", &Unpickler::record, kOther},
      {"uuid.UUID", &Unpickler::record, kOther},
  };
  static_assert(std::ranges::adjacent_find(kAllowList, std::ranges::greater_equal(),
                                           &AllowRule::global) == std::end(kAllowList),
                "the allow list must be sorted by name, without repeats");
  static_assert(std::ranges::none_of(kAllowList,
                                     [](const AllowRule& rule) {
                                       return is_denied(module_of(rule.global), rule.global);
                                     }),
                "the deny list wins over the allow list: an allowed global must not be denied");
  const auto* it = std::ranges::lower_bound(kAllowList, global, {}, &AllowRule::global);
  return it != std::end(kAllowList) && it->global == global ? it : nullptr;
}

bool is_unreadable_tensor_builder(std::string_view name) {
  const Unpickler::AllowRule* rule = Unpickler::find_allow_rule(name);
  return rule && rule->builds == Unpickler::Builds::kUnreadable;
}

}  // namespace mlexport::frontend::checkpoint::detail
