#include "common/mapping/record_mapper.h"

#include <simdjson.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "common/mapping/column_types.h"
#include "common/mapping/json_body.h"
#include "common/mapping/json_path.h"
#include "common/status/error_code.h"
#include "common/status/status_macros.h"

namespace sluice::mapping {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

}  // namespace

// One Map() call: the records being built and the error context.
class MapperRun {
 public:
  MapperRun(const RecordMapper& mapper, bool patch)
      : m_(mapper), patch_(patch) {}

  absl::Status MapRecord(element value, size_t index, v1::Record* record) {
    extra_.clear();
    extra_keys_.clear();
    const size_t n = m_.tables_.size();
    out_.assign(n, nullptr);
    for (size_t t = 0; t < n; ++t) {
      v1::TableRows* rows = record->add_tables();
      rows->set_table(m_.tables_[t].table->name());
      out_[t] = rows;
    }
    replaced_.assign(n, false);
    std::string where = absl::StrCat("records[", index, "]");
    if (value.type() != element_type::OBJECT) {
      return InvalidArgumentError(
          "invalid_body", absl::StrCat(where, ": expected a JSON object, got ",
                                       DescribeJson(value)));
    }
    const auto& root = m_.tables_[0];
    SLUICE_RETURN_IF_ERROR(CountRow());
    v1::Row* row = out_[0]->add_rows();
    std::vector<char> set(root.slots, 0);
    InitRow(root, row);
    SLUICE_RETURN_IF_ERROR(
        WalkObject(value, root.fields, 0, row, &set, where, ""));
    // The key must be present and not null.
    for (size_t k = 0; k < root.key_columns.size(); ++k) {
      int column = root.key_columns[k];
      const v1::Value& v = row->values(column);
      if (!set[column] || v.has_null_value()) {
        return InvalidArgumentError(
            "missing_primary_key",
            absl::StrCat(where, ": primary key field \"", m_.key_fields_[k],
                         "\" is missing or null"));
      }
      *record->add_key() = v;
    }
    if (root.extra_column >= 0 && !extra_.empty()) {
      row->mutable_values(root.extra_column)
          ->set_json_value(absl::StrCat("{", extra_, "}"));
      set[root.extra_column] = 1;
    }
    // Child rows carry the root key.
    for (size_t t = 1; t < n; ++t) {
      for (v1::Row& child : *out_[t]->mutable_rows()) {
        for (size_t k = 0; k < m_.tables_[t].key_columns.size(); ++k) {
          *child.mutable_values(m_.tables_[t].key_columns[k]) = record->key(k);
        }
      }
    }
    if (patch_) {
      // Only the present root columns change.
      v1::Row full = std::move(*row);
      row->Clear();
      for (int c = 0; c < root.table->columns_size(); ++c) {
        if (c < static_cast<int>(set.size()) && set[c]) {
          out_[0]->add_columns(root.table->columns(c).name());
          *row->add_values() = full.values(c);
        }
      }
      for (size_t t = 1; t < n; ++t) {
        if (replaced_[t])
          record->add_replaced_tables(m_.tables_[t].table->name());
      }
    } else {
      for (size_t t = 1; t < n; ++t)
        record->add_replaced_tables(m_.tables_[t].table->name());
    }
    // Drop tables without rows (the replaced list still names them).
    auto* tables = record->mutable_tables();
    for (int t = tables->size() - 1; t >= 1; --t) {
      if ((*tables)[t].rows_size() == 0) tables->DeleteSubrange(t, 1);
    }
    return absl::OkStatus();
  }

 private:
  void InitRow(const RecordMapper::CompiledTable& t, v1::Row* row) {
    for (int c = 0; c < t.table->columns_size(); ++c)
      row->add_values()->set_null_value(true);
  }

  // Keeps `value` in _extra at JSON Pointer `path` (the first value given
  // for a path wins). In a PATCH a null removes the field (JSON merge
  // patch). INVALID_ARGUMENT when the value nests deeper than the database's
  // JSON allows.
  absl::Status AddExtra(const std::string& path, const std::string& where,
                        element value) {
    std::string text = simdjson::to_string(value);
    if (JsonNestsDeeperThan(text, kMaxExtraDepth)) {
      return InvalidArgumentError(
          "invalid_body",
          absl::StrCat(where,
                       ": a field the sample does not have nests deeper "
                       "than ",
                       kMaxExtraDepth,
                       " levels; add it to the sample or flatten it"));
    }
    AddExtraText(path, text);
    return absl::OkStatus();
  }

  void AddExtraText(const std::string& path, std::string_view json_text) {
    if (!extra_keys_.insert(path).second) return;
    if (!extra_.empty()) extra_.push_back(',');
    extra_ += JsonQuote(path);
    extra_.push_back(':');
    extra_ += json_text;
  }

  // Converts a field for its column. When the column cannot give the value
  // back as sent (a number or object widened into text, an integer past
  // 2^53 in a DOUBLE), the value is also kept in _extra, which read-back
  // applies last. In a PATCH a value stored exactly clears such a copy.
  absl::Status MapScalar(element value, const v1::Column& column,
                         const std::string& where, const std::string& pointer,
                         v1::Value* out) {
    SLUICE_RETURN_IF_ERROR(ValueFromJson(value, column, where, out));
    if (NeedsCopy(value, column)) return AddExtra(pointer, where, value);
    if (patch_) AddExtraText(pointer, "null");
    return absl::OkStatus();
  }

  static bool NeedsCopy(element value, const v1::Column& column) {
    switch (value.type()) {
      case element_type::NULL_VALUE:
      case element_type::STRING:
        return false;
      case element_type::INT64: {
        if (column.type() != v1::COLUMN_TYPE_DOUBLE) break;
        constexpr int64_t kExact = int64_t{1} << 53;
        int64_t v = value.get_int64().value_unsafe();
        return v > kExact || v < -kExact;
      }
      case element_type::UINT64:  // always past 2^63
        if (column.type() == v1::COLUMN_TYPE_DOUBLE) return true;
        break;
      default:
        break;
    }
    return column.type() == v1::COLUMN_TYPE_VARCHAR ||
           column.type() == v1::COLUMN_TYPE_TEXT ||
           column.type() == v1::COLUMN_TYPE_JSON;
  }

  // A PATCH that sets a known object to null clears it (JSON merge patch):
  // its columns become NULL and its arrays' tables are emptied.
  void ClearObject(const RecordMapper::FieldNode& node, int t, v1::Row* row,
                   std::vector<char>* set) {
    for (const auto& [key, child] : node.children) {
      if (child.column >= 0) {
        row->mutable_values(child.column)->set_null_value(true);
        (*set)[child.column] = 1;
      } else if (child.child_table >= 0) {
        MarkReplaced(child.child_table);
      } else {
        ClearObject(child, t, row, set);
      }
    }
  }

  // Counts one more row towards the request's limit.
  absl::Status CountRow() {
    if (++rows_ > kMaxRowsPerRequest) {
      return WithErrorCode(
          absl::InvalidArgumentError(absl::StrCat(
              "the request expands to more than ", kMaxRowsPerRequest,
              " rows (records and their array items); send it in smaller "
              "requests")),
          "too_many_rows");
    }
    return absl::OkStatus();
  }

  void MarkReplaced(int t) {
    replaced_[t] = true;
    for (int d : m_.tables_[t].descendants) replaced_[d] = true;
  }

  absl::Status Claim(std::vector<char>* set, int slot,
                     const std::string& where) {
    if ((*set)[slot]) {
      return InvalidArgumentError(
          "duplicate_key",
          absl::StrCat(where, ": the key appears more than once"));
    }
    (*set)[slot] = 1;
    return absl::OkStatus();
  }

  // Maps the fields of `obj` under `node` into `row` of table `t`.
  // `where` is the error path; `extra_path` the JSON Pointer of `obj` in the
  // record, under which its unknown fields are kept in _extra.
  absl::Status WalkObject(element obj, const RecordMapper::FieldNode& node,
                          int t, v1::Row* row, std::vector<char>* set,
                          const std::string& where,
                          const std::string& extra_path) {
    const auto& table = m_.tables_[t];
    for (auto field : simdjson::dom::object(obj)) {
      std::string field_where = where + "." + std::string(field.key);
      std::string field_extra = AppendPointer(extra_path, field.key);
      auto it = node.children.find(field.key);
      if (it == node.children.end()) {
        SLUICE_RETURN_IF_ERROR(AddExtra(field_extra, field_where, field.value));
        continue;
      }
      const RecordMapper::FieldNode& child = it->second;
      SLUICE_RETURN_IF_ERROR(Claim(set, child.slot, field_where));
      if (child.column >= 0) {
        SLUICE_RETURN_IF_ERROR(MapScalar(
            field.value, table.table->columns(child.column), field_where,
            field_extra, row->mutable_values(child.column)));
      } else if (child.child_table >= 0) {
        SLUICE_RETURN_IF_ERROR(
            MapArray(field.value, child.child_table, field_where, field_extra));
      } else if (field.value.type() == element_type::OBJECT) {
        if (patch_) AddExtraText(field_extra, "null");  // an earlier null
        SLUICE_RETURN_IF_ERROR(WalkObject(field.value, child, t, row, set,
                                          field_where, field_extra));
      } else if (field.value.type() == element_type::NULL_VALUE) {
        // Columns alone would read back an object of nulls.
        AddExtraText(field_extra, "null");
        if (patch_) ClearObject(child, t, row, set);
      } else {
        return InvalidArgumentError(
            "type_mismatch",
            absl::StrCat(field_where, ": expected an object, got ",
                         DescribeJson(field.value)));
      }
    }
    return absl::OkStatus();
  }

  absl::Status MapArray(element value, int t, const std::string& where,
                        const std::string& extra_path) {
    MarkReplaced(t);
    if (value.type() == element_type::NULL_VALUE) {
      // No rows either way: _extra tells null from an empty array.
      AddExtraText(extra_path, "null");
      return absl::OkStatus();
    }
    if (value.type() != element_type::ARRAY) {
      return InvalidArgumentError(
          "type_mismatch", absl::StrCat(where, ": expected an array, got ",
                                        DescribeJson(value)));
    }
    if (simdjson::dom::array(value).size() == 0) {
      AddExtraText(extra_path, "[]");
      return absl::OkStatus();
    }
    const auto& table = m_.tables_[t];
    int64_t position = 0;
    for (element item : simdjson::dom::array(value)) {
      std::string item_where = absl::StrCat(where, "[", position, "]");
      std::string item_extra = AppendPointerIndex(extra_path, position);
      SLUICE_RETURN_IF_ERROR(CountRow());
      v1::Row* row = out_[t]->add_rows();
      InitRow(table, row);
      positions_.push_back(position);
      size_t first = positions_.size() - table.position_columns.size();
      for (size_t p = 0; p < table.position_columns.size(); ++p) {
        row->mutable_values(table.position_columns[p])
            ->set_int_value(positions_[first + p]);
      }
      absl::Status status;
      if (table.array_child >= 0) {
        status = MapArray(item, table.array_child, item_where, item_extra);
      } else if (table.value_column >= 0) {
        status = MapScalar(item, table.table->columns(table.value_column),
                           item_where, item_extra,
                           row->mutable_values(table.value_column));
      } else if (item.type() == element_type::OBJECT) {
        std::vector<char> set(table.slots, 0);
        status = WalkObject(item, table.fields, t, row, &set, item_where,
                            item_extra);
      } else if (item.type() == element_type::NULL_VALUE) {
        AddExtraText(item_extra, "null");
      } else {
        status = InvalidArgumentError(
            "type_mismatch",
            absl::StrCat(item_where, ": expected an object, got ",
                         DescribeJson(item)));
      }
      positions_.pop_back();
      SLUICE_RETURN_IF_ERROR(status);
      ++position;
    }
    return absl::OkStatus();
  }

  const RecordMapper& m_;
  const bool patch_;
  std::vector<v1::TableRows*> out_;
  std::vector<bool> replaced_;
  std::vector<int64_t> positions_;
  std::string extra_;
  std::set<std::string> extra_keys_;
  size_t rows_ = 0;
};

absl::StatusOr<std::shared_ptr<const RecordMapper>> RecordMapper::Create(
    const v1::DataStructure& structure) {
  if (structure.tables_size() == 0) {
    return absl::InvalidArgumentError("data structure has no tables");
  }
  std::shared_ptr<RecordMapper> m(new RecordMapper());
  m->structure_ = structure;
  m->root_path_ = SplitUserPath(structure.root_path());
  m->key_fields_.assign(structure.primary_key().begin(),
                        structure.primary_key().end());
  std::map<std::string, int> index_of;
  for (int t = 0; t < m->structure_.tables_size(); ++t) {
    index_of[m->structure_.tables(t).name()] = t;
  }
  m->tables_.resize(m->structure_.tables_size());
  for (int t = 0; t < m->structure_.tables_size(); ++t) {
    const v1::Table& table = m->structure_.tables(t);
    CompiledTable& ct = m->tables_[t];
    ct.table = &table;
    ct.slots = table.columns_size();
    if (t > 0) {
      auto parent = index_of.find(table.parent());
      if (parent == index_of.end() || parent->second >= t) {
        return absl::InvalidArgumentError(
            absl::StrCat("table ", table.name(), " has an unknown parent"));
      }
      ct.parent = parent->second;
      for (int a = ct.parent; a > 0; a = m->tables_[a].parent) {
        m->tables_[a].descendants.push_back(t);
      }
      // Register the array in the parent's field tree.
      CompiledTable& pt = m->tables_[ct.parent];
      if (table.json_path().empty()) {
        pt.array_child = t;
      } else {
        FieldNode* node = &pt.fields;
        for (const std::string& key : SplitPath(table.json_path())) {
          node = &node->children[key];
          if (node->slot < 0) node->slot = pt.slots++;
        }
        node->child_table = t;
      }
    }
    for (int c = 0; c < table.columns_size(); ++c) {
      const v1::Column& col = table.columns(c);
      switch (col.source()) {
        case v1::COLUMN_SOURCE_ROOT_KEY:
          ct.key_columns.push_back(c);
          break;
        case v1::COLUMN_SOURCE_POSITION:
          ct.position_columns.push_back(c);
          break;
        case v1::COLUMN_SOURCE_EXTRA:
          ct.extra_column = c;
          break;
        case v1::COLUMN_SOURCE_LAST_MODIFIED:
          break;
        default:
          if (t > 0 && table.scalar_items()) {
            ct.value_column = c;
            break;
          }
          if (t == 0 && col.primary_key()) ct.key_columns.push_back(c);
          FieldNode* node = &ct.fields;
          std::vector<std::string> keys = SplitPath(col.json_path());
          for (size_t k = 0; k < keys.size(); ++k) {
            node = &node->children[keys[k]];
            if (k + 1 < keys.size() && node->slot < 0) node->slot = ct.slots++;
          }
          node->column = c;
          node->slot = c;
      }
    }
  }
  // Descendants for the root: all other tables.
  for (size_t t = 1; t < m->tables_.size(); ++t)
    m->tables_[0].descendants.push_back(t);
  return std::shared_ptr<const RecordMapper>(std::move(m));
}

absl::StatusOr<std::vector<v1::Record>> RecordMapper::Map(
    std::string_view body, bool patch, bool at_root_path) const {
  simdjson::dom::parser& parser = ThreadParser();
  ShrinkParserAfterUse shrink{parser};
  static const std::vector<std::string> kNoPath;
  SLUICE_ASSIGN_OR_RETURN(
      element at, ParseRecords(parser, body, at_root_path ? root_path_ : kNoPath));
  std::vector<v1::Record> records;
  MapperRun run(*this, patch);
  if (at.type() == element_type::ARRAY) {
    simdjson::dom::array array(at);
    records.resize(array.size());
    size_t i = 0;
    for (element item : array) {
      SLUICE_RETURN_IF_ERROR(run.MapRecord(item, i, &records[i]));
      ++i;
    }
  } else {
    records.resize(1);
    SLUICE_RETURN_IF_ERROR(run.MapRecord(at, 0, &records[0]));
  }
  return records;
}

absl::StatusOr<std::vector<v1::Value>> RecordMapper::KeyFromText(
    const std::vector<std::string>& values) const {
  const CompiledTable& root = tables_[0];
  if (values.size() != root.key_columns.size()) {
    return InvalidArgumentError(
        "invalid_key",
        absl::StrCat("the primary key has ", root.key_columns.size(),
                     " fields; ", values.size(), " given"));
  }
  std::vector<v1::Value> key(values.size());
  for (size_t k = 0; k < values.size(); ++k) {
    const v1::Column& c = root.table->columns(root.key_columns[k]);
    absl::Status s = ValueFromText(values[k], c, &key[k]);
    if (!s.ok()) {
      return InvalidArgumentError(
          "invalid_key", absl::StrCat("primary key field \"", key_fields_[k],
                                      "\" ", s.message()));
    }
  }
  return key;
}

}  // namespace sluice::mapping
