// Numbers and strings as opcode arguments carry them: little-endian LONG1/LONG4 integers (beyond
// int64 they stay decimal digits), protocol 0's decimal INT/LONG text, memo indices, the quoted
// STRING and raw-unicode-escaped UNICODE literals, and the latin1 text that _codecs.encode and
// bytes() turn back into bytes (how protocol 2 pickles bytes for Python 3).
#include <algorithm>
#include <charconv>

#include "frontend/checkpoint/pickle_machine.h"

namespace mlexport::frontend::checkpoint::detail {
namespace {

// Decimal digits of a little-endian two's complement integer (LONG1/LONG4 beyond int64).
std::string long_to_decimal(std::string_view le) {
  std::vector<uint8_t> mag(le.begin(), le.end());
  const bool negative = !mag.empty() && (mag.back() & 0x80);
  if (negative) {  // magnitude = ~x + 1
    unsigned carry = 1;
    for (auto& b : mag) {
      const unsigned v = static_cast<uint8_t>(~b) + carry;
      b = static_cast<uint8_t>(v);
      carry = v >> 8;
    }
  }
  std::vector<uint32_t> words((mag.size() + 3) / 4, 0);
  for (size_t k = 0; k < mag.size(); ++k) words[k / 4] |= uint32_t(mag[k]) << (8 * (k % 4));
  while (!words.empty() && words.back() == 0) words.pop_back();
  std::string digits;
  while (!words.empty()) {
    uint64_t rem = 0;
    for (size_t k = words.size(); k-- > 0;) {
      const uint64_t cur = (rem << 32) | words[k];
      words[k] = static_cast<uint32_t>(cur / 1000000000u);
      rem = cur % 1000000000u;
    }
    while (!words.empty() && words.back() == 0) words.pop_back();
    for (int d = 0; d < 9; ++d) {
      digits.push_back(static_cast<char>('0' + rem % 10));
      rem /= 10;
      if (words.empty() && rem == 0) break;
    }
  }
  if (digits.empty()) digits = "0";
  if (negative) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

MPtr Unpickler::make_long(std::string_view le_bytes) {
  const size_t n = le_bytes.size();
  if (n > kMaxLongBytes) fail("integer longer than 1 KiB");
  const auto* b = reinterpret_cast<const uint8_t*>(le_bytes.data());
  if (n == 0) return make_int(0);
  const bool negative = b[n - 1] & 0x80;
  bool fits = n <= 8;
  if (!fits) {
    fits = (b[7] & 0x80) == (negative ? 0x80 : 0);
    for (size_t k = 8; k < n && fits; ++k) fits = b[k] == (negative ? 0xff : 0);
  }
  if (!fits) return make_big_int(long_to_decimal(le_bytes));
  uint64_t u = 0;
  const size_t m = std::min<size_t>(n, 8);
  for (size_t k = 0; k < m; ++k) u |= uint64_t(b[k]) << (8 * k);
  if (negative && m < 8) u |= ~uint64_t(0) << (8 * m);
  return make_int(static_cast<int64_t>(u));
}

MPtr Unpickler::parse_decimal(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int64_t v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return make_int(v);
  const size_t digits_from = !text.empty() && text.front() == '-' ? 1 : 0;
  if (text.size() <= digits_from || text.size() > 2 * kMaxLongBytes) fail("bad integer literal");
  for (size_t k = digits_from; k < text.size(); ++k)
    if (text[k] < '0' || text[k] > '9') fail("bad integer literal");
  return make_big_int(std::string(text));
}

uint64_t Unpickler::parse_index(std::string_view text) {
  uint64_t v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) fail("bad memo index");
  return v;
}

// Protocol 0 STRING: a quoted Python 2 literal with backslash escapes.
std::string Unpickler::escape_decode(std::string_view q) {
  if (q.size() < 2 || q.front() != q.back() || (q.front() != '\'' && q.front() != '"'))
    fail("STRING argument is not quoted");
  q = q.substr(1, q.size() - 2);
  std::string out;
  for (size_t k = 0; k < q.size(); ++k) {
    if (q[k] != '\\') {
      out.push_back(q[k]);
      continue;
    }
    if (++k >= q.size()) fail("STRING ends in a backslash");
    const char c = q[k];
    switch (c) {
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case 'a':
        out.push_back('\a');
        break;
      case '\\':
      case '\'':
      case '"':
        out.push_back(c);
        break;
      case '\n':
        break;
      case 'x': {
        if (k + 2 >= q.size()) fail("bad \\x escape");
        const int h = hex_digit(q[k + 1]), l = hex_digit(q[k + 2]);
        if (h < 0 || l < 0) fail("bad \\x escape");
        out.push_back(static_cast<char>(h * 16 + l));
        k += 2;
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          int v = c - '0';
          for (int d = 0; d < 2 && k + 1 < q.size() && q[k + 1] >= '0' && q[k + 1] <= '7'; ++d)
            v = v * 8 + (q[++k] - '0');
          out.push_back(static_cast<char>(v & 0xff));
        } else {
          out.push_back('\\');
          out.push_back(c);
        }
    }
  }
  return out;
}

// Protocol 0 UNICODE: latin-1 text where only \uXXXX and \UXXXXXXXX are escapes.
std::string Unpickler::raw_unicode_escape(std::string_view in) {
  std::string out;
  for (size_t k = 0; k < in.size(); ++k) {
    const auto c = static_cast<uint8_t>(in[k]);
    if (c == '\\' && k + 1 < in.size() && (in[k + 1] == 'u' || in[k + 1] == 'U')) {
      const size_t n = in[k + 1] == 'u' ? 4 : 8;
      if (k + 2 + n > in.size()) fail("bad \\u escape");
      uint32_t cp = 0;
      for (size_t d = 0; d < n; ++d) {
        const int h = hex_digit(in[k + 2 + d]);
        if (h < 0) fail("bad \\u escape");
        cp = cp * 16 + h;
      }
      if (cp > 0x10ffff) fail("bad \\U escape");
      append_utf8(out, cp);
      k += 1 + n;
    } else {
      append_utf8(out, c);
    }
  }
  return out;
}

MPtr Unpickler::encode_latin1(const std::string& text, const std::string& encoding) {
  if (encoding != "latin1" && encoding != "latin-1" && encoding != "iso-8859-1" &&
      encoding != "ascii")
    fail("only latin1 string encodings are read, not '" + encoding + "'");
  std::string out;  // UTF-8 -> code points < 256
  for (size_t k = 0; k < text.size();) {
    const auto c = static_cast<uint8_t>(text[k]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      k += 1;
    } else if ((c & 0xe0) == 0xc0 && k + 1 < text.size()) {
      const uint32_t cp = ((c & 0x1f) << 6) | (static_cast<uint8_t>(text[k + 1]) & 0x3f);
      if (cp > 0xff) fail("a latin1-encoded string holds a character above U+00FF");
      out.push_back(static_cast<char>(cp));
      k += 2;
    } else {
      fail("a latin1-encoded string holds a character above U+00FF");
    }
  }
  return make_string(Kind::Bytes, out);
}

}  // namespace mlexport::frontend::checkpoint::detail
