// Text helpers shared by the stats, Chrome-trace and HTML exports: JSON and HTML escaping, exact
// microseconds, and the stats rows that the text table and the HTML table both print.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "pto/wsp/program.hpp"

namespace pto::wsp::trace_text {

using Buffer = fmt::memory_buffer;

/// Where a JSON string will end up. Inside an HTML <script> element '<', '>' and '&' are written
/// as \u003c, \u003e and \u0026, so no data can close the element ("</script>") or start a comment
/// ("<!--"), and U+2028/U+2029 are escaped for JavaScript parsers older than ES2019.
enum class JsonIn : std::uint8_t { File, HtmlScript };

/// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no
/// surrogates, nothing above U+10FFFF), or 0 when the bytes there are not one.
inline std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

/// Appends `s` as a quoted JSON string. Bytes that are not UTF-8 become U+FFFD: names come from
/// users, and one stray byte must not make the whole trace unreadable to a strict parser.
inline void append_json_string(Buffer& out, std::string_view s, JsonIn where = JsonIn::File) {
  const bool html = where == JsonIn::HtmlScript;
  out.push_back('"');
  std::size_t copied = 0;  // s[copied, i) is plain text not yet appended
  const auto copy_to = [&](std::size_t end) { out.append(s.data() + copied, s.data() + end); };
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_length(s, i);
      const bool line_separator = n == 3 && c == 0xE2 &&
                                  static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                                  (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
                                   static_cast<unsigned char>(s[i + 2]) == 0xA9);
      if (n > 0 && !(html && line_separator)) {
        i += n;
        continue;
      }
      copy_to(i);
      if (n == 0) {
        out.append(std::string_view("\\ufffd"));
        i += 1;
      } else {
        out.append(
            std::string_view(static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029"));
        i += 3;
      }
      copied = i;
      continue;
    }
    const bool special =
        c < 0x20 || c == '"' || c == '\\' || (html && (c == '<' || c == '>' || c == '&'));
    if (!special) {
      ++i;
      continue;
    }
    copy_to(i);
    switch (c) {
      case '"':
        out.append(std::string_view("\\\""));
        break;
      case '\\':
        out.append(std::string_view("\\\\"));
        break;
      case '\n':
        out.append(std::string_view("\\n"));
        break;
      case '\r':
        out.append(std::string_view("\\r"));
        break;
      case '\t':
        out.append(std::string_view("\\t"));
        break;
      case '\b':
        out.append(std::string_view("\\b"));
        break;
      case '\f':
        out.append(std::string_view("\\f"));
        break;
      default:
        fmt::format_to(fmt::appender(out), "\\u{:04x}", static_cast<unsigned>(c));
        break;
    }
    copied = ++i;
  }
  copy_to(s.size());
  out.push_back('"');
}

/// JSON has no NaN or infinity; a ratio over an empty run is written as null instead.
inline void append_json_number(Buffer& out, double v) {
  if (std::isfinite(v)) {
    fmt::format_to(fmt::appender(out), "{}", v);
  } else {
    out.append(std::string_view("null"));
  }
}

/// `ns` in microseconds with exactly three decimals. Integer arithmetic keeps every nanosecond
/// for any int64 and is cheaper than formatting a double, which matters at a million events.
inline void append_us(Buffer& out, std::int64_t ns) {
  std::uint64_t u = static_cast<std::uint64_t>(ns);
  if (ns < 0) {
    out.push_back('-');
    u = 0 - u;
  }
  fmt::format_to(fmt::appender(out), "{}.{:03}", u / 1000, u % 1000);
}

/// Appends `s` with the five HTML-special characters replaced by entities.
inline void append_html(Buffer& out, std::string_view s) {
  for (const char c : s) {
    switch (c) {
      case '&':
        out.append(std::string_view("&amp;"));
        break;
      case '<':
        out.append(std::string_view("&lt;"));
        break;
      case '>':
        out.append(std::string_view("&gt;"));
        break;
      case '"':
        out.append(std::string_view("&quot;"));
        break;
      case '\'':
        out.append(std::string_view("&#39;"));
        break;
      default:
        out.push_back(c);
        break;
    }
  }
}

/// "0,2" for the queues a worker serves, "-" for none.
inline std::string queue_list(const std::vector<int>& queues) {
  if (queues.empty()) return "-";
  std::string out;
  for (const int q : queues) {
    if (!out.empty()) out += ',';
    out += std::to_string(q);
  }
  return out;
}

/// One quantity of ProgramStats, formatted for people (value with its unit).
struct StatRow {
  std::string_view label;
  std::string value;
};

/// The quantities of ProgramStats in table order (everything but the per-worker lines), so the
/// text table and the HTML table cannot drift apart.
std::vector<StatRow> stat_rows(const ProgramStats& stats);

/// Appends ProgramStats::to_json()'s object, so the trace can embed it without a copy.
void append_stats_json(Buffer& out, const ProgramStats& stats);

}  // namespace pto::wsp::trace_text
