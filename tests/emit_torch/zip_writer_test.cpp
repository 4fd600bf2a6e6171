// ZipWriter: stored, 64-byte aligned members with correct CRCs, ZIP64, atomic replacement.
// Every archive is read back by mlexport's ZipReader and by Python's zipfile.
#include "emit/torch/zip_writer.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>

#include "frontend/checkpoint/zip_reader.h"
#include "mlexport/diagnostics.h"
#include "test_support.h"

namespace {

using namespace emit_torch_test;
using mlexport::Error;
using mlexport::ExitCode;
using mlexport::emit::torch::ZipWriter;
using mlexport::emit::torch::ZipWriterOptions;
using mlexport::frontend::checkpoint::ZipReader;

std::string pattern(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t k = 0; k < n; ++k) s[k] = static_cast<char>((k * 131 + seed * 7 + (k >> 9)) & 0xff);
  return s;
}

std::span<const std::byte> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

uint32_t crc_of(const std::string& s) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

struct Member {
  std::string name;
  std::string data;
};

// Names of varied lengths (one makes the needed padding 1..3 bytes, too short for an extra
// field), sizes around the alignment, one member larger than the writer's buffer.
std::vector<Member> sample_members() {
  return {{std::string(31, 'a'), pattern(5, 1)},  // 30 + 31 = 61: 3 bytes to the boundary
          {"b/empty", ""},
          {"b/one", pattern(1, 2)},
          {"b/sixty-three", pattern(63, 3)},
          {"b/sixty-four", pattern(64, 4)},
          {"b/sixty-five", pattern(65, 5)},
          {"b/big", pattern((size_t{3} << 20) / 2 + 17, 6)},  // 1.5 MiB: bypasses the buffer
          {"b/\xc3\xa9t\xc3\xa9", pattern(100, 7)}};          // a UTF-8 name
}

void write_members(const std::string& path, const std::vector<Member>& members,
                   ZipWriterOptions options = {}) {
  ZipWriter zip(path, options);
  for (const auto& m : members) zip.add_record(m.name, bytes_of(m.data));
  const uint64_t size = zip.finish();
  EXPECT_EQ(size, std::filesystem::file_size(path));
}

// Reads the archive with mlexport's reader (CRC checked) and Python's zipfile.
void expect_readable(const std::string& path, const std::vector<Member>& members) {
  const std::string file = read_file(path);
  ZipReader zip(reinterpret_cast<const std::byte*>(file.data()), file.size(), path);
  ASSERT_EQ(zip.entries().size(), members.size());
  for (size_t k = 0; k < members.size(); ++k) {
    const auto& e = zip.entries()[k];
    SCOPED_TRACE(e.name);
    EXPECT_EQ(e.name, members[k].name);
    EXPECT_EQ(e.method, 0) << "stored, never compressed";
    EXPECT_EQ(e.data_offset % 64, 0u) << "data not 64-byte aligned";
    EXPECT_EQ(e.crc32, crc_of(members[k].data));
    const auto data = zip.read(e, /*verify_crc=*/true);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(data.data()), data.size()),
              members[k].data);
  }
  const json py = run_python({"zipinfo", path});
  ASSERT_FALSE(py.is_null());
  EXPECT_TRUE(py["testzip"].is_null()) << "Python's zipfile finds a bad CRC in " << py["testzip"];
  ASSERT_EQ(py["members"].size(), members.size());
  for (size_t k = 0; k < members.size(); ++k) {
    EXPECT_EQ(py["members"][k]["name"], members[k].name);
    EXPECT_EQ(py["members"][k]["size"], members[k].data.size());
    EXPECT_EQ(py["members"][k]["compress_type"], 0);
    EXPECT_EQ(py["members"][k]["crc"], crc_of(members[k].data));
  }
}

TEST(ZipWriter, MembersAreStoredAlignedAndReadable) {
  ScratchDir dir;
  const auto members = sample_members();
  write_members(dir.file("a.zip"), members);
  expect_readable(dir.file("a.zip"), members);
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"a.zip"}) << "no temporary file left";
}

TEST(ZipWriter, ForcedZip64IsReadByBothReaders) {
  ScratchDir dir;
  const auto members = sample_members();
  write_members(dir.file("z64.zip"), members, {.zip64_limit = 0});
  const std::string file = read_file(dir.file("z64.zip"));
  EXPECT_NE(file.find("PK\x06\x06"), std::string::npos) << "no ZIP64 end record";
  EXPECT_NE(file.find("PK\x06\x07"), std::string::npos) << "no ZIP64 locator";
  expect_readable(dir.file("z64.zip"), members);
}

TEST(ZipWriter, MoreThan65535MembersUseTheZip64EndRecord) {
  ScratchDir dir;
  std::vector<Member> members;
  for (int k = 0; k < 70000; ++k) members.push_back({"m/" + std::to_string(k), pattern(k % 3, k)});
  write_members(dir.file("many.zip"), members);
  const std::string file = read_file(dir.file("many.zip"));
  EXPECT_NE(file.find("PK\x06\x06"), std::string::npos);
  ZipReader zip(reinterpret_cast<const std::byte*>(file.data()), file.size(), "many.zip");
  ASSERT_EQ(zip.entries().size(), members.size());
  EXPECT_EQ(zip.entries().back().name, "m/69999");
  const json py = run_python({"zipinfo", dir.file("many.zip")});
  ASSERT_FALSE(py.is_null());
  EXPECT_EQ(py["members"].size(), members.size());
  EXPECT_TRUE(py["testzip"].is_null());
}

TEST(ZipWriter, StreamedMemberEqualsWholeMember) {
  ScratchDir dir;
  const std::string data = pattern(300000, 9);
  {
    ZipWriter zip(dir.file("streamed.zip"));
    zip.begin_record("x/data", data.size());
    for (size_t k = 0; k < data.size(); k += 70001)
      zip.write(bytes_of(data.substr(k, std::min<size_t>(70001, data.size() - k))));
    zip.end_record();
    zip.finish();
  }
  write_members(dir.file("whole.zip"), {{"x/data", data}});
  EXPECT_EQ(read_file(dir.file("streamed.zip")), read_file(dir.file("whole.zip")))
      << "the same input must give the same bytes (no timestamps, same layout)";
  expect_readable(dir.file("streamed.zip"), {{"x/data", data}});
}

TEST(ZipWriter, UnfinishedArchiveLeavesNoFile) {
  ScratchDir dir;
  {
    ZipWriter zip(dir.file("never.zip"));
    zip.add_record("a", bytes_of(pattern(1000, 1)));
  }
  EXPECT_TRUE(dir.listing().empty());
}

TEST(ZipWriter, WrongStreamedSizeThrowsAndLeavesNoFile) {
  ScratchDir dir;
  try {
    ZipWriter zip(dir.file("short.zip"));
    zip.begin_record("a", 10);
    zip.write(bytes_of("12345"));
    zip.end_record();
    ADD_FAILURE() << "a short member must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInternal);
    EXPECT_NE(std::string(e.what()).find("shorter than announced"), std::string::npos) << e.what();
  }
  try {
    ZipWriter zip(dir.file("long.zip"));
    zip.begin_record("a", 2);
    zip.write(bytes_of("123"));
    ADD_FAILURE() << "a long member must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInternal);
  }
  EXPECT_TRUE(dir.listing().empty());
}

TEST(ZipWriter, DuplicateMemberThrows) {
  ScratchDir dir;
  ZipWriter zip(dir.file("dup.zip"));
  zip.add_record("a", bytes_of("1"));
  EXPECT_THROW(zip.add_record("a", bytes_of("2")), Error);
}

TEST(ZipWriter, MissingFolderIsBadInput) {
  ScratchDir dir;
  try {
    ZipWriter zip(dir.file("no/such/folder/x.zip"));
    ADD_FAILURE() << "must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(dir.listing().empty());
  std::filesystem::create_directory(dir.path() / "sub");
  try {
    ZipWriter zip(dir.file("sub"));
    ADD_FAILURE() << "a directory as output must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("it is a directory"), std::string::npos) << e.what();
  }
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"sub"});
}

TEST(ZipWriter, ExistingFileIsReplacedOnlyByFinish) {
  ScratchDir dir;
  const std::string path = dir.file("model.zip");
  { std::ofstream(path) << "old contents"; }
  {
    ZipWriter zip(path);
    zip.add_record("a", bytes_of(pattern(100, 1)));
    EXPECT_EQ(read_file(path), "old contents") << "replaced before finish()";
    zip.finish();
  }
  expect_readable(path, {{"a", pattern(100, 1)}});
}

}  // namespace
