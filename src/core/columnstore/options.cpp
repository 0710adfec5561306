// Parsing of columnstore option names and values (see options.hpp).
#include "columnstore/options.hpp"

#include <algorithm>
#include <array>

namespace strata::core::columnstore {

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// PostgreSQL's scanner: whitespace is space, \t, \n, \r, \f (and \v, which scan.l also accepts)
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool ident_cont(char c) { return ident_start(c) || (c >= '0' && c <= '9') || c == '$'; }

enum class Tok { ident, quoted, comma, lparen, rparen, end };

struct Token {
  Tok kind = Tok::end;
  size_t offset = 0;
  std::string_view text;  // as written
  std::string name;       // identifiers: the folded or unquoted name
};

// A lexer over one option value; `label` names the option in messages.
class Lexer {
 public:
  Lexer(std::string_view s, const char* label) : s_(s), label_(label) { advance(); }

  const Token& peek() const { return tok_; }
  Token take() {
    Token t = std::move(tok_);
    advance();
    return t;
  }
  bool at_end() const { return tok_.kind == Tok::end; }
  bool keyword(std::string_view kw) const { return tok_.kind == Tok::ident && iequals(tok_.text, kw); }

  [[noreturn]] void fail(OptionErrorKind kind, const Token& t, const std::string& what) const {
    std::string msg = std::string("invalid ") + label_ + " value: " + what;
    if (t.kind == Tok::end)
      msg += " at the end of the value (offset " + std::to_string(t.offset) + ")";
    else
      msg += " at or near \"" + std::string(t.text) + "\" (offset " + std::to_string(t.offset) + ")";
    throw OptionError(kind, msg, t.offset, std::string(t.text));
  }
  [[noreturn]] void expected(const std::string& what) const {
    fail(OptionErrorKind::syntax, tok_, "expected " + what);
  }

  // column name: an identifier, quoted or not
  std::pair<std::string, Token> column() {
    if (tok_.kind != Tok::ident && tok_.kind != Tok::quoted) expected("a column name");
    Token t = take();
    std::string n = t.name;
    return {std::move(n), std::move(t)};
  }

 private:
  void advance() {
    size_t i = pos_;
    while (i < s_.size() && is_space(s_[i])) ++i;
    tok_ = Token{};
    tok_.offset = i;
    if (i >= s_.size()) {
      tok_.kind = Tok::end;
      pos_ = i;
      return;
    }
    const char c = s_[i];
    if (c == ',' || c == '(' || c == ')') {
      tok_.kind = c == ',' ? Tok::comma : c == '(' ? Tok::lparen : Tok::rparen;
      tok_.text = s_.substr(i, 1);
      pos_ = i + 1;
      return;
    }
    if (c == '"') {
      std::string name;
      size_t j = i + 1;
      for (;;) {
        if (j >= s_.size()) {
          tok_.kind = Tok::quoted;
          tok_.text = s_.substr(i);
          fail(OptionErrorKind::syntax, tok_, "unterminated quoted identifier");
        }
        if (s_[j] == '"') {
          if (j + 1 < s_.size() && s_[j + 1] == '"') {
            name += '"';
            j += 2;
            continue;
          }
          ++j;
          break;
        }
        name += s_[j++];
      }
      tok_.kind = Tok::quoted;
      tok_.text = s_.substr(i, j - i);
      if (name.empty()) fail(OptionErrorKind::syntax, tok_, "zero-length quoted identifier");
      tok_.name = std::move(name);
      pos_ = j;
      return;
    }
    if (ident_start(c)) {
      size_t j = i + 1;
      while (j < s_.size() && ident_cont(s_[j])) ++j;
      tok_.kind = Tok::ident;
      tok_.text = s_.substr(i, j - i);
      tok_.name.resize(tok_.text.size());
      std::transform(tok_.text.begin(), tok_.text.end(), tok_.name.begin(), lower);
      pos_ = j;
      return;
    }
    // an unexpected character: report it (a whole UTF-8 sequence where it starts one)
    tok_.kind = Tok::ident;  // so fail() quotes the text
    tok_.text = s_.substr(i, 1);
    fail(OptionErrorKind::syntax, tok_, "unexpected character");
  }

  std::string_view s_;
  const char* label_;
  size_t pos_ = 0;
  Token tok_;
};

// After a list item: a comma (then another item) or the end.
bool list_continues(Lexer& lx, const std::string& what_else) {
  if (lx.at_end()) return false;
  if (lx.peek().kind == Tok::comma) {
    lx.take();
    return true;
  }
  lx.expected(what_else.empty() ? std::string("\",\" or the end of the list") : what_else);
}

struct Spelling {
  std::string_view name;
  OptionName option;
};
constexpr std::array<Spelling, 12> kSpellings{{
    {"compress", OptionName::compress},
    {"enable_columnstore", OptionName::compress},
    {"columnstore", OptionName::compress},
    {"compress_segmentby", OptionName::segmentby},
    {"segmentby", OptionName::segmentby},
    {"segment_by", OptionName::segmentby},
    {"compress_orderby", OptionName::orderby},
    {"orderby", OptionName::orderby},
    {"order_by", OptionName::orderby},
    {"compress_index", OptionName::sparse_index},
    {"sparse_index", OptionName::sparse_index},
    {"compress_chunk_time_interval", OptionName::chunk_time_interval},
}};

}  // namespace

std::optional<OptionName> find_option(std::string_view name) {
  for (std::string_view prefix : {std::string_view("timescaledb."), std::string_view("strata.")})
    if (name.size() > prefix.size() && iequals(name.substr(0, prefix.size()), prefix)) {
      name.remove_prefix(prefix.size());
      break;
    }
  for (const Spelling& s : kSpellings)
    if (iequals(name, s.name)) return s.option;
  return std::nullopt;
}

OptionName parse_option_name(std::string_view name) {
  if (auto o = find_option(name)) return *o;
  throw OptionError(OptionErrorKind::unknown_option, "unrecognized columnstore option \"" + std::string(name) + "\"",
                    0, std::string(name));
}

const char* option_label(OptionName name) {
  switch (name) {
    case OptionName::compress:
      return "compress";
    case OptionName::segmentby:
      return "compress_segmentby";
    case OptionName::orderby:
      return "compress_orderby";
    case OptionName::sparse_index:
      return "sparse_index";
    case OptionName::chunk_time_interval:
      return "compress_chunk_time_interval";
  }
  return "option";
}

std::optional<bool> try_parse_bool(std::string_view v) {
  if (v.empty()) return std::nullopt;
  // a non-empty prefix of `word` (case-insensitive), at least `min_len` characters long
  auto prefix_of = [&](std::string_view word, size_t min_len) {
    return v.size() >= min_len && v.size() <= word.size() && iequals(v, word.substr(0, v.size()));
  };
  switch (lower(v[0])) {
    case 't':
      if (prefix_of("true", 1)) return true;
      break;
    case 'f':
      if (prefix_of("false", 1)) return false;
      break;
    case 'y':
      if (prefix_of("yes", 1)) return true;
      break;
    case 'n':
      if (prefix_of("no", 1)) return false;
      break;
    case 'o':
      // "o" alone is ambiguous
      if (prefix_of("on", 2)) return true;
      if (prefix_of("off", 2)) return false;
      break;
    case '1':
      if (v.size() == 1) return true;
      break;
    case '0':
      if (v.size() == 1) return false;
      break;
    default:
      break;
  }
  return std::nullopt;
}

bool parse_bool(std::string_view value, std::string_view option) {
  if (auto b = try_parse_bool(value)) return *b;
  throw OptionError(OptionErrorKind::invalid_value,
                    "invalid value for boolean option \"" + std::string(option) + "\": \"" + std::string(value) + "\"",
                    0, std::string(value));
}

std::vector<std::string> parse_segmentby(std::string_view value) {
  Lexer lx(value, "compress_segmentby");
  std::vector<std::string> out;
  if (lx.at_end()) return out;
  do {
    auto [name, tok] = lx.column();
    if (std::find(out.begin(), out.end(), name) != out.end())
      lx.fail(OptionErrorKind::duplicate, tok, "column \"" + name + "\" appears more than once");
    out.push_back(std::move(name));
  } while (list_continues(lx, ""));
  return out;
}

std::vector<OrderByItem> parse_orderby(std::string_view value) {
  Lexer lx(value, "compress_orderby");
  std::vector<OrderByItem> out;
  if (lx.at_end()) return out;
  do {
    auto [name, tok] = lx.column();
    for (const OrderByItem& o : out)
      if (o.column == name) lx.fail(OptionErrorKind::duplicate, tok, "column \"" + name + "\" appears more than once");
    OrderByItem item;
    item.column = std::move(name);
    bool have_direction = false;
    if (lx.keyword("asc") || lx.keyword("desc")) {
      item.descending = lx.keyword("desc");
      have_direction = true;
      lx.take();
    }
    item.nulls_first = item.descending;
    bool have_nulls = false;
    if (lx.keyword("nulls")) {
      lx.take();
      if (lx.keyword("first"))
        item.nulls_first = true;
      else if (lx.keyword("last"))
        item.nulls_first = false;
      else
        lx.expected("FIRST or LAST after NULLS");
      lx.take();
      have_nulls = true;
    }
    out.push_back(std::move(item));
    std::string what = have_nulls ? "\",\" or the end of the list"
                       : have_direction ? "NULLS, \",\" or the end of the list"
                                        : "ASC, DESC, NULLS, \",\" or the end of the list";
    if (!list_continues(lx, what)) break;
  } while (true);
  return out;
}

std::vector<SparseIndexItem> parse_sparse_index(std::string_view value) {
  Lexer lx(value, "sparse_index");
  std::vector<SparseIndexItem> out;
  if (lx.at_end()) return out;
  do {
    SparseIndexItem item;
    if (lx.keyword("minmax"))
      item.kind = SparseIndexKind::minmax;
    else if (lx.keyword("bloom"))
      item.kind = SparseIndexKind::bloom;
    else
      lx.expected("minmax(column) or bloom(column)");
    const Token fn = lx.take();
    if (lx.peek().kind != Tok::lparen) lx.expected("\"(\"");
    lx.take();
    auto [name, tok] = lx.column();
    if (lx.peek().kind != Tok::rparen) lx.expected("\")\"");
    lx.take();
    item.column = std::move(name);
    if (std::find(out.begin(), out.end(), item) != out.end())
      lx.fail(OptionErrorKind::duplicate, fn,
              std::string(item.kind == SparseIndexKind::bloom ? "bloom" : "minmax") + " index on column \"" +
                  item.column + "\" appears more than once");
    out.push_back(std::move(item));
  } while (list_continues(lx, ""));
  return out;
}

}  // namespace strata::core::columnstore
