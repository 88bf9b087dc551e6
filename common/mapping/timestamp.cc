#include "common/mapping/timestamp.h"

#include <cstdio>

namespace sluice::mapping {
namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
// days_from_civil algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool Digits(int n, int* out) {
    if (pos_ + n > s_.size()) return false;
    int v = 0;
    for (int i = 0; i < n; ++i) {
      char c = s_[pos_ + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    pos_ += n;
    *out = v;
    return true;
  }
  bool Eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool AtEnd() const { return pos_ == s_.size(); }
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void Skip() { ++pos_; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

std::optional<int64_t> ToMicros(int year, int month, int day, int hour,
                                int minute, int second, int64_t micros) {
  if (year < 1000 || month < 1 || month > 12 || day < 1 ||
      day > static_cast<int>(DaysInMonth(year, month)) || hour > 23 ||
      minute > 59 || second > 59) {
    return std::nullopt;
  }
  int64_t days = DaysFromCivil(year, month, day);
  return ((days * 86400 + hour * 3600 + minute * 60 + second) * 1000000) +
         micros;
}

}  // namespace

std::optional<int64_t> ParseIso8601(std::string_view text) {
  Cursor c(text);
  int year, month, day, hour, minute, second = 0;
  if (!c.Digits(4, &year) || !c.Eat('-') || !c.Digits(2, &month) ||
      !c.Eat('-') || !c.Digits(2, &day)) {
    return std::nullopt;
  }
  if (!c.Eat('T') && !c.Eat('t') && !c.Eat(' ')) return std::nullopt;
  if (!c.Digits(2, &hour) || !c.Eat(':') || !c.Digits(2, &minute))
    return std::nullopt;
  int64_t micros = 0;
  if (c.Eat(':')) {
    if (!c.Digits(2, &second)) return std::nullopt;
    if (c.Eat('.') || c.Eat(',')) {
      int digits = 0;
      while (c.Peek() >= '0' && c.Peek() <= '9') {
        if (digits < 6) micros = micros * 10 + (c.Peek() - '0');
        ++digits;
        c.Skip();
      }
      if (digits == 0 || digits > 9) return std::nullopt;
      for (int i = digits; i < 6; ++i) micros *= 10;
    }
  }
  int64_t offset_seconds = 0;
  if (c.Eat('Z') || c.Eat('z')) {
    // UTC
  } else if (c.Peek() == '+' || c.Peek() == '-') {
    int sign = c.Peek() == '-' ? -1 : 1;
    c.Skip();
    int oh, om = 0;
    if (!c.Digits(2, &oh)) return std::nullopt;
    if (c.Eat(':')) {
      if (!c.Digits(2, &om)) return std::nullopt;
    } else if (!c.AtEnd() && !c.Digits(2, &om)) {
      return std::nullopt;
    }
    if (oh > 23 || om > 59) return std::nullopt;
    offset_seconds = sign * (oh * 3600 + om * 60);
  }
  if (!c.AtEnd()) return std::nullopt;
  auto local = ToMicros(year, month, day, hour, minute, second, micros);
  if (!local) return std::nullopt;
  int64_t utc = *local - offset_seconds * 1000000;
  // The UTC instant must still be a DATETIME MySQL stores.
  if (utc < *ToMicros(1000, 1, 1, 0, 0, 0, 0) ||
      utc > *ToMicros(9999, 12, 31, 23, 59, 59, 999999)) {
    return std::nullopt;
  }
  return utc;
}

namespace {
void Split(int64_t micros, int64_t* y, unsigned* mo, unsigned* d, int* h,
           int* mi, int* s, int* us) {
  int64_t secs =
      micros >= 0 ? micros / 1000000 : -((-micros + 999999) / 1000000);
  *us = static_cast<int>(micros - secs * 1000000);
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  CivilFromDays(days, y, mo, d);
  *h = static_cast<int>(rem / 3600);
  *mi = static_cast<int>(rem % 3600 / 60);
  *s = static_cast<int>(rem % 60);
}
}  // namespace

std::string FormatIso8601(int64_t micros) {
  int64_t y;
  unsigned mo, d;
  int h, mi, s, us;
  Split(micros, &y, &mo, &d, &h, &mi, &s, &us);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d.%06dZ",
                static_cast<long long>(y), mo, d, h, mi, s, us);
  return buf;
}

std::string FormatSqlDatetime(int64_t micros) {
  int64_t y;
  unsigned mo, d;
  int h, mi, s, us;
  Split(micros, &y, &mo, &d, &h, &mi, &s, &us);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02u %02d:%02d:%02d.%06d",
                static_cast<long long>(y), mo, d, h, mi, s, us);
  return buf;
}

}  // namespace sluice::mapping
