// Column types and codecs: their names, widths, and which codec may encode which type. The rest
// of the codec: docs/ARCHITECTURE.md, "Columnstore codecs". Format: docs/FORMAT.md.
#include "codec/codec.hpp"

#include "codec/internal.hpp"

namespace strata::core::codec {

const char* codec_name(Codec c) {
  switch (c) {
    case Codec::Auto: return "auto";
    case Codec::Integer: return "integer";
    case Codec::Alp: return "alp";
    case Codec::FloatXor: return "xor";
    case Codec::Plain: return "plain";
    case Codec::ByteSplit: return "bytesplit";
    case Codec::Dictionary: return "dictionary";
    case Codec::ExtDictionary: return "extdictionary";
    case Codec::UuidText: return "uuidtext";
    case Codec::VarPlain: return "varplain";
    case Codec::AllNull: return "allnull";
    case Codec::Constant: return "constant";
  }
  return "?";
}

const char* type_name(ColumnType t) {
  switch (t) {
    case ColumnType::Int16: return "int16";
    case ColumnType::Int32: return "int32";
    case ColumnType::Int64: return "int64";
    case ColumnType::Timestamp: return "timestamp";
    case ColumnType::Date: return "date";
    case ColumnType::Float4: return "float4";
    case ColumnType::Float8: return "float8";
    case ColumnType::Bool: return "bool";
    case ColumnType::Uuid: return "uuid";
    case ColumnType::Varlen: return "varlen";
  }
  return "?";
}

size_t fixed_width(ColumnType t) {
  switch (t) {
    case ColumnType::Int16: return 2;
    case ColumnType::Int32: case ColumnType::Date: case ColumnType::Float4: return 4;
    case ColumnType::Int64: case ColumnType::Timestamp: case ColumnType::Float8: return 8;
    case ColumnType::Bool: return 1;
    case ColumnType::Uuid: return 16;
    case ColumnType::Varlen: return 0;
  }
  return 0;
}

bool codec_allowed(ColumnType t, Codec c) {
  switch (c) {
    case Codec::Integer: return int_like(t);
    case Codec::Alp: case Codec::FloatXor: case Codec::ByteSplit: return float_like(t);
    case Codec::Plain: return float_like(t) || t == ColumnType::Uuid;
    case Codec::Dictionary: case Codec::ExtDictionary: return string_like(t);
    case Codec::UuidText: case Codec::VarPlain: return t == ColumnType::Varlen;
    case Codec::AllNull: case Codec::Constant: return true;
    case Codec::Auto: return false;
  }
  return false;
}

}  // namespace strata::core::codec
