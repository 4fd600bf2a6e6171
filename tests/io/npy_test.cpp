#include "io/npy.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <zip.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "mlexport/diagnostics.h"

namespace mlexport::io {
namespace {

namespace fs = std::filesystem;
using ir::DType;
using ir::Tensor;

const DType kAllDTypes[] = {DType::Float32, DType::Float64, DType::Float16,
                            DType::Int64,   DType::Int32,   DType::Int16,
                            DType::Int8,    DType::UInt8,   DType::Bool};

// The values numpy's side of the cross-check uses too: floats i*0.5-3, integers i-5, bool i%3==0.
Tensor pattern(DType dtype, std::vector<int64_t> shape) {
  Tensor t(dtype, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) {
    double f = i * 0.5 - 3;
    int64_t n = i - 5;
    switch (dtype) {
      case DType::Float32:
        t.data<float>()[i] = static_cast<float>(f);
        break;
      case DType::Float64:
        t.data<double>()[i] = f;
        break;
      case DType::Float16:
        t.data<uint16_t>()[i] = ir::float_to_half(static_cast<float>(f));
        break;
      case DType::Int64:
        t.data<int64_t>()[i] = n;
        break;
      case DType::Int32:
        t.data<int32_t>()[i] = static_cast<int32_t>(n);
        break;
      case DType::Int16:
        t.data<int16_t>()[i] = static_cast<int16_t>(n);
        break;
      case DType::Int8:
        t.data<int8_t>()[i] = static_cast<int8_t>(n);
        break;
      case DType::UInt8:
        t.data<uint8_t>()[i] = static_cast<uint8_t>(n);
        break;
      case DType::Bool:
        t.data<uint8_t>()[i] = i % 3 == 0;
        break;
      default:
        break;
    }
  }
  return t;
}

void expect_same(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.shape, b.shape);
  ASSERT_EQ(a.nbytes(), b.nbytes());
  EXPECT_EQ(0, std::memcmp(a.raw(), b.raw(), a.nbytes()));
}

// A header dict wrapped into a .npy file of the given version, followed by `data`.
std::string make_npy(const std::string& dict, size_t data_bytes, int major = 1) {
  std::string header = dict + "\n";
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  uint32_t n = static_cast<uint32_t>(header.size());
  int len_size = major == 1 ? 2 : 4;
  for (int i = 0; i < len_size; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + std::string(data_bytes, '\x01');
}

class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "npy_test-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write_raw(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  }
  static std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  // Expects a bad-input Error whose message names `what` and contains `reason`.
  static void expect_bad(const std::function<void()>& fn, const std::string& what,
                         const std::string& reason) {
    try {
      fn();
      ADD_FAILURE() << "no error; expected: " << reason;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput) << e.what();
      std::string msg = e.what();
      EXPECT_EQ(msg.rfind(what + ": ", 0), 0u) << msg;
      EXPECT_NE(msg.find(reason), std::string::npos) << msg << "\n  expected: " << reason;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
    }
  }
  void expect_bad_npy(const std::string& bytes, const std::string& reason) {
    std::string p = write_raw("bad.npy", bytes);
    expect_bad([&] { read_npy(p); }, p, reason);
    expect_bad([&] { parse_npy(bytes.data(), bytes.size(), "mem"); }, "mem", reason);
  }
  static bool have_numpy() {
    return std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
  }
  int run_python(const std::string& script) const {
    std::string file = path("script.py");
    std::ofstream(file) << script;
    std::string cmd = "/usr/bin/python3 '" + file + "' '" + dir_.string() + "'";
    return std::system(cmd.c_str());
  }

  fs::path dir_;
};

TEST_F(NpyTest, RoundTripsEveryDTypeAndShape) {
  const std::vector<std::vector<int64_t>> shapes = {{}, {0}, {7}, {2, 0, 4}, {2, 3, 4}};
  for (DType dtype : kAllDTypes) {
    for (const auto& shape : shapes) {
      SCOPED_TRACE(std::string(ir::dtype_name(dtype)) + " " + ir::shape_to_string(shape));
      Tensor t = pattern(dtype, shape);
      std::string p = path("t.npy");
      write_npy(p, t);
      expect_same(read_npy(p), t);
      std::string bytes = npy_bytes(t);
      EXPECT_EQ(slurp(p), bytes);
      EXPECT_EQ((bytes.size() - t.nbytes()) % 64, 0u) << "data is 64-byte aligned";
      expect_same(parse_npy(bytes.data(), bytes.size(), "mem"), t);
    }
  }
}

TEST_F(NpyTest, WriteReplacesAtomicallyAndLeavesNoTemporaries) {
  std::string p = path("x.npy");
  write_npy(p, pattern(DType::Float32, {100}));
  write_npy(p, pattern(DType::Int8, {3}));
  expect_same(read_npy(p), pattern(DType::Int8, {3}));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(NpyTest, WriteErrors) {
  std::string p = path("missing-dir/x.npy");
  expect_bad([&] { write_npy(p, pattern(DType::Float32, {2})); }, p, "cannot write");
  try {
    write_npy(path("bf.npy"), Tensor(DType::BFloat16, {2}));
    ADD_FAILURE() << "bfloat16 has no npy dtype";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInternal);
  }
}

TEST_F(NpyTest, BoolBytesAreNormalised) {
  std::string bytes = make_npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", 0);
  bytes += std::string("\x00\x02\xff", 3);
  Tensor t = parse_npy(bytes.data(), bytes.size(), "mem");
  EXPECT_EQ(t.data<uint8_t>()[0], 0);
  EXPECT_EQ(t.data<uint8_t>()[1], 1);
  EXPECT_EQ(t.data<uint8_t>()[2], 1);
}

TEST_F(NpyTest, AcceptsVersions2And3AndLenientSpacing) {
  for (int major : {2, 3}) {
    std::string bytes = make_npy("{'descr':'<i4','fortran_order':False,'shape':(2,)}", 8, major);
    Tensor t = parse_npy(bytes.data(), bytes.size(), "mem");
    EXPECT_EQ(t.dtype, DType::Int32);
    EXPECT_EQ(t.shape, std::vector<int64_t>{2});
  }
  // Python 2 numpy wrote longs with an L suffix; '=' means native (little) order.
  std::string bytes = make_npy("{'descr': '=f8', 'fortran_order': False, 'shape': (1L, 2L), }", 16);
  EXPECT_EQ(parse_npy(bytes.data(), bytes.size(), "mem").shape, (std::vector<int64_t>{1, 2}));
}

TEST_F(NpyTest, RejectsMalformedFiles) {
  const std::string ok_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  expect_bad_npy("", "too short");
  expect_bad_npy("PK\x03\x04 this is a zip", "bad magic");
  std::string v4 = make_npy(ok_dict, 24);
  v4[6] = 4;
  expect_bad_npy(v4, "unsupported .npy format version 4.0");
  std::string v11 = make_npy(ok_dict, 24);
  v11[7] = 1;
  expect_bad_npy(v11, "version 1.1");
  expect_bad_npy(make_npy(ok_dict, 24).substr(0, 9), "truncated .npy header");
  expect_bad_npy(make_npy(ok_dict, 24).substr(0, 40), "truncated .npy header");
  // A v2 header length of 4 GiB.
  expect_bad_npy(std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff", 12), "header length");

  expect_bad_npy(make_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24),
                 "Fortran-order");
  expect_bad_npy(make_npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24),
                 "big-endian");
  expect_bad_npy(make_npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16),
                 "object arrays");
  expect_bad_npy(make_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8),
                 "structured");
  expect_bad_npy(make_npy("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16),
                 "unsupported dtype '<c8'");
  expect_bad_npy(make_npy("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", 24),
                 "unsupported dtype");

  expect_bad_npy(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", 24),
                 "header does not parse");
  expect_bad_npy(make_npy("hello world", 24), "header does not parse");
  expect_bad_npy(make_npy("[1, 2]", 24), "not a Python dict");
  expect_bad_npy(make_npy("{'descr': '<f4', 'shape': (2, 3), }", 24), "lacks");
  expect_bad_npy(make_npy(ok_dict.substr(0, ok_dict.size() - 1) + "'extra': 1}", 24),
                 "unexpected key 'extra'");
  expect_bad_npy(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", 24),
                 "'shape' is not a tuple");
  expect_bad_npy(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", 24),
                 "negative");
  expect_bad_npy(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 'a'), }", 24),
                 "non-integer");
  expect_bad_npy(make_npy("{'descr': 3, 'fortran_order': False, 'shape': (2, 3), }", 24),
                 "'descr' is not a string");
  expect_bad_npy(make_npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }", 24),
                 "'fortran_order' is not True or False");
  expect_bad_npy(make_npy("{'descr': '<f4\\n', 'fortran_order': False, 'shape': (2, 3), }", 24),
                 "escapes");
  expect_bad_npy(make_npy(ok_dict + " junk", 24), "unexpected text after");

  expect_bad_npy(make_npy(ok_dict, 20), "data section has 20 bytes but the header");
  expect_bad_npy(make_npy(ok_dict, 0), "needs 24");
  expect_bad_npy(make_npy(ok_dict, 30), "6 unexpected bytes after the data");

  // Absurd shapes: element counts or byte counts that overflow, even next to a zero.
  expect_bad_npy(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': "
                          "(4611686018427387904, 4), }",
                          24),
                 "absurd");
  expect_bad_npy(make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': "
                          "(9223372036854775807,), }",
                          24),
                 "absurd");
  expect_bad_npy(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': "
                          "(4294967296, 4294967296, 0), }",
                          0),
                 "absurd");
  expect_bad_npy(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': "
                          "(99999999999999999999999,), }",
                          0),
                 "too large for 64 bits");
  // A claim of 1 TB in a small file fails before anything is allocated.
  expect_bad_npy(
      make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", 16),
      "file truncated?");
  std::string many_dims = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < 65; ++i) many_dims += "1,";
  expect_bad_npy(make_npy(many_dims + "), }", 4), "65 dimensions");
}

TEST_F(NpyTest, MissingOrOddPaths) {
  std::string p = path("nope.npy");
  expect_bad([&] { read_npy(p); }, p, "cannot open");
  expect_bad([&] { read_npy(dir_.string()); }, dir_.string(), "not a regular file");
  expect_bad([&] { read_npz(p); }, p, "cannot open");
}

// Every truncation and many random byte flips of a valid file must parse or throw Error.
TEST_F(NpyTest, NeverCrashesOnCorruptBytes) {
  std::string good = npy_bytes(pattern(DType::Float32, {3, 5}));
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_THROW(parse_npy(good.data(), n, "cut"), Error) << n;
  }
  std::mt19937 rng(1234);
  for (int round = 0; round < 5000; ++round) {
    std::string bytes = good;
    for (int k = 0; k < 3; ++k) {
      size_t at = rng() % 80;
      bytes[at] = static_cast<char>(rng() % 3 == 0 ? "(),:'0123456789-{}[]LTF"[rng() % 23] : rng());
    }
    try {
      parse_npy(bytes.data(), bytes.size(), "fuzz");
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput);
    }
  }
}

TEST_F(NpyTest, NpzRoundTripStoredAndDeflated) {
  NamedTensors tensors;
  for (DType dtype : kAllDTypes) {
    tensors.emplace_back("t_" + std::string(ir::dtype_name(dtype)), pattern(dtype, {4, 5}));
  }
  tensors.emplace_back("scalar", pattern(DType::Float32, {}));
  tensors.emplace_back("empty", pattern(DType::Int64, {0, 3}));
  tensors.emplace_back("zeros", Tensor(DType::Float32, {1000}));  // compresses well
  for (bool compress : {false, true}) {
    SCOPED_TRACE(compress ? "deflated" : "stored");
    std::string p = path(compress ? "c.npz" : "s.npz");
    write_npz(p, tensors, compress);
    NamedTensors back = read_npz(p);
    ASSERT_EQ(back.size(), tensors.size());
    for (size_t i = 0; i < back.size(); ++i) {
      EXPECT_EQ(back[i].first, tensors[i].first);
      expect_same(back[i].second, tensors[i].second);
    }
  }
  EXPECT_LT(fs::file_size(path("c.npz")), fs::file_size(path("s.npz")));

  write_npz(path("empty.npz"), {});
  EXPECT_TRUE(read_npz(path("empty.npz")).empty());
}

TEST_F(NpyTest, RejectsMalformedNpz) {
  std::string p = write_raw("text.npz", "just some text, definitely not a zip archive");
  expect_bad([&] { read_npz(p); }, p, "not a zip archive");

  // Build archives with libzip directly: a non-npy member and a member whose npy is broken.
  auto make_zip = [&](const std::string& name, const std::string& member,
                      const std::string& bytes) {
    std::string zp = path(name);
    int err = 0;
    zip_t* za = zip_open(zp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    EXPECT_NE(za, nullptr);
    auto* copy = new std::string(bytes);  // lives until zip_close
    zip_source_t* src = zip_source_buffer(za, copy->data(), copy->size(), 0);
    EXPECT_GE(zip_file_add(za, member.c_str(), src, 0), 0);
    EXPECT_EQ(zip_close(za), 0);
    delete copy;
    return zp;
  };
  std::string good = npy_bytes(pattern(DType::Float32, {2, 3}));
  p = make_zip("txt.npz", "notes.txt", "hello");
  expect_bad([&] { read_npz(p); }, p + ":notes.txt", "not a .npy file");
  p = make_zip("cut.npz", "x.npy", good.substr(0, good.size() - 4));
  expect_bad([&] { read_npz(p); }, p + ":x.npy", "file truncated?");
  p = make_zip("fortran.npz", "f.npy",
               make_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8));
  expect_bad([&] { read_npz(p); }, p + ":f.npy", "Fortran-order");

  // A stored member with a flipped data byte fails its CRC check.
  write_npz(path("crc.npz"), {{"x", pattern(DType::Float32, {64})}});
  std::string bytes = slurp(path("crc.npz"));
  size_t at = bytes.find(good.substr(0, 6));  // start of the member's npy data
  ASSERT_NE(at, std::string::npos);
  bytes[at + 128 + 10] ^= 0x5a;
  p = write_raw("crc-bad.npz", bytes);
  expect_bad([&] { read_npz(p); }, p + ":x.npy", "CRC");

  // Truncating an archive loses its central directory.
  p = write_raw("cut-archive.npz", slurp(path("crc.npz")).substr(0, 100));
  EXPECT_THROW(read_npz(p), Error);
}

constexpr char kPythonValues[] = R"(
import numpy as np, os, sys
d = sys.argv[1]
def vals(dt, shape):
    i = np.arange(int(np.prod(shape)))
    if dt == np.bool_: v = i % 3 == 0
    elif np.issubdtype(dt, np.floating): v = (i * 0.5 - 3).astype(dt)
    else: v = (i - 5).astype(np.int64).astype(dt)
    return v.reshape(shape)
DTYPES = {'float32': np.float32, 'float64': np.float64, 'float16': np.float16, 'int64': np.int64,
          'int32': np.int32, 'int16': np.int16, 'int8': np.int8, 'uint8': np.uint8, 'bool': np.bool_}
)";

TEST_F(NpyTest, NumpyWritesWeRead) {
  if (!have_numpy()) GTEST_SKIP() << "/usr/bin/python3 has no numpy";
  ASSERT_EQ(run_python(std::string(kPythonValues) + R"(
for name, dt in DTYPES.items():
    np.save(os.path.join(d, name + '.npy'), vals(dt, (2, 3, 4)))
np.save(os.path.join(d, 'scalar.npy'), np.float32(-3.0))
for v in [(2, 0), (3, 0)]:
    with open(os.path.join(d, 'v%d.npy' % v[0]), 'wb') as f:
        np.lib.format.write_array(f, vals(np.float32, (2, 3, 4)), version=v)
np.savez(os.path.join(d, 'a.npz'), **{n: vals(dt, (2, 3, 4)) for n, dt in DTYPES.items()})
np.savez_compressed(os.path.join(d, 'c.npz'), **{n: vals(dt, (2, 3, 4)) for n, dt in DTYPES.items()})
np.save(os.path.join(d, 'fortran.npy'), np.asfortranarray(vals(np.float32, (2, 3))))
np.save(os.path.join(d, 'big.npy'), vals(np.float32, (2, 3)).astype('>f4'))
np.save(os.path.join(d, 'obj.npy'), np.array([1, 'a'], dtype=object), allow_pickle=True)
)"),
            0);
  for (DType dtype : kAllDTypes) {
    std::string name(ir::dtype_name(dtype));
    SCOPED_TRACE(name);
    expect_same(read_npy(path(name + ".npy")), pattern(dtype, {2, 3, 4}));
  }
  expect_same(read_npy(path("scalar.npy")), pattern(DType::Float32, {}));
  expect_same(read_npy(path("v2.npy")), pattern(DType::Float32, {2, 3, 4}));
  expect_same(read_npy(path("v3.npy")), pattern(DType::Float32, {2, 3, 4}));
  for (const char* archive : {"a.npz", "c.npz"}) {
    NamedTensors tensors = read_npz(path(archive));
    ASSERT_EQ(tensors.size(), std::size(kAllDTypes));
    for (size_t i = 0; i < tensors.size(); ++i) {
      EXPECT_EQ(tensors[i].first, ir::dtype_name(kAllDTypes[i]));
      expect_same(tensors[i].second, pattern(kAllDTypes[i], {2, 3, 4}));
    }
  }
  expect_bad([&] { read_npy(path("fortran.npy")); }, path("fortran.npy"), "Fortran-order");
  expect_bad([&] { read_npy(path("big.npy")); }, path("big.npy"), "big-endian");
  expect_bad([&] { read_npy(path("obj.npy")); }, path("obj.npy"), "object arrays");
}

TEST_F(NpyTest, WeWriteNumpyReads) {
  if (!have_numpy()) GTEST_SKIP() << "/usr/bin/python3 has no numpy";
  NamedTensors all;
  for (DType dtype : kAllDTypes) {
    std::string name(ir::dtype_name(dtype));
    write_npy(path(name + ".npy"), pattern(dtype, {2, 3, 4}));
    all.emplace_back(name, pattern(dtype, {2, 3, 4}));
  }
  write_npy(path("scalar.npy"), pattern(DType::Float32, {}));
  write_npy(path("vec.npy"), pattern(DType::Int64, {7}));
  write_npz(path("a.npz"), all);
  write_npz(path("c.npz"), all, /*compress=*/true);
  write_npz(path("empty.npz"), {});
  EXPECT_EQ(run_python(std::string(kPythonValues) + R"(
def same(a, b, what):
    if a.dtype != b.dtype or a.shape != b.shape or not np.array_equal(a, b):
        sys.exit('%s: got %r %r %r' % (what, a.dtype, a.shape, a))
for name, dt in DTYPES.items():
    same(np.load(os.path.join(d, name + '.npy')), vals(dt, (2, 3, 4)), name)
same(np.load(os.path.join(d, 'scalar.npy')), vals(np.float32, ()), 'scalar')
same(np.load(os.path.join(d, 'vec.npy')), vals(np.int64, (7,)), 'vec')
for archive in ['a.npz', 'c.npz']:
    z = np.load(os.path.join(d, archive))
    if list(z.files) != list(DTYPES): sys.exit('%s members: %r' % (archive, z.files))
    for name, dt in DTYPES.items(): same(z[name], vals(dt, (2, 3, 4)), archive + ':' + name)
if len(np.load(os.path.join(d, 'empty.npz')).files) != 0: sys.exit('empty.npz not empty')
)"),
            0);
}

}  // namespace
}  // namespace mlexport::io
