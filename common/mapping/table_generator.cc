#include "common/mapping/table_generator.h"

#include <simdjson.h>

#include <map>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/mapping/identifiers.h"
#include "common/mapping/json_path.h"
#include "common/mapping/timestamp.h"
#include "common/mysql/mysql_pool.h"
#include "common/status/error_code.h"
#include "common/status/status_macros.h"

namespace sluice::mapping {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using v1::Column;
using v1::ColumnSource;
using v1::ColumnType;
using v1::Table;

absl::Status BadSample(absl::string_view message) {
  return InvalidArgumentError("invalid_sample", message);
}

// What the sample tells about one JSON position, merged over every value
// seen there (all elements of arrays).
struct Shape {
  enum Kind {
    kNull,
    kBool,
    kInt,
    kDouble,
    kString,
    kTimestamp,
    kObject,
    kArray,
    kMixed
  };
  Kind kind = kNull;
  size_t max_length = 0;
  std::vector<std::pair<std::string, std::unique_ptr<Shape>>> fields;
  std::unique_ptr<Shape> items;

  Shape* Field(std::string_view key) {
    for (auto& [name, shape] : fields) {
      if (name == key) return shape.get();
    }
    fields.emplace_back(std::string(key), std::make_unique<Shape>());
    return fields.back().second.get();
  }
};

Shape::Kind MergeKinds(Shape::Kind a, Shape::Kind b) {
  if (a == Shape::kNull) return b;
  if (b == Shape::kNull || a == b) return a;
  if ((a == Shape::kInt && b == Shape::kDouble) ||
      (a == Shape::kDouble && b == Shape::kInt)) {
    return Shape::kDouble;
  }
  if ((a == Shape::kString && b == Shape::kTimestamp) ||
      (a == Shape::kTimestamp && b == Shape::kString)) {
    return Shape::kString;
  }
  return Shape::kMixed;
}

absl::Status Merge(Shape* shape, element value, int depth,
                   const std::string& where) {
  if (depth > kMaxSampleDepth) {
    return BadSample(absl::StrCat("sample nests deeper than ", kMaxSampleDepth,
                                  " levels at ", where));
  }
  Shape::Kind kind = Shape::kNull;
  switch (value.type()) {
    case element_type::NULL_VALUE:
      return absl::OkStatus();
    case element_type::BOOL:
      kind = Shape::kBool;
      break;
    case element_type::INT64:
    case element_type::UINT64:
      kind = Shape::kInt;
      break;
    case element_type::DOUBLE:
      kind = Shape::kDouble;
      break;
    case element_type::STRING: {
      std::string_view s = value.get_string().value_unsafe();
      kind = ParseIso8601(s) ? Shape::kTimestamp : Shape::kString;
      shape->max_length = std::max(shape->max_length, Utf8Length(s));
      break;
    }
    case element_type::OBJECT:
      kind = Shape::kObject;
      break;
    case element_type::ARRAY:
      kind = Shape::kArray;
      break;
  }
  shape->kind = MergeKinds(shape->kind, kind);
  if (shape->kind == Shape::kMixed) return absl::OkStatus();
  if (kind == Shape::kObject) {
    for (auto field : simdjson::dom::object(value)) {
      absl::Status s = Merge(shape->Field(field.key), field.value, depth + 1,
                             AppendPath(where, field.key));
      if (!s.ok()) return s;
    }
  } else if (kind == Shape::kArray) {
    if (!shape->items) shape->items = std::make_unique<Shape>();
    for (element item : simdjson::dom::array(value)) {
      absl::Status s = Merge(shape->items.get(), item, depth + 1, where + "[]");
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

Column MakeColumn(std::string name, std::string path, const Shape& shape) {
  Column c;
  c.set_name(std::move(name));
  c.set_json_path(std::move(path));
  c.set_source(v1::COLUMN_SOURCE_FIELD);
  switch (shape.kind) {
    case Shape::kBool:
      c.set_type(v1::COLUMN_TYPE_BOOLEAN);
      break;
    case Shape::kInt:
      c.set_type(v1::COLUMN_TYPE_BIGINT);
      break;
    case Shape::kDouble:
      c.set_type(v1::COLUMN_TYPE_DOUBLE);
      break;
    case Shape::kTimestamp:
      c.set_type(v1::COLUMN_TYPE_DATETIME);
      break;
    case Shape::kString:
      if (shape.max_length <= static_cast<size_t>(kVarcharLength)) {
        c.set_type(v1::COLUMN_TYPE_VARCHAR);
        c.set_max_length(kVarcharLength);
      } else {
        c.set_type(v1::COLUMN_TYPE_TEXT);
      }
      break;
    default:
      c.set_type(v1::COLUMN_TYPE_TEXT);
      break;
  }
  return c;
}

// What a table's columns may still take: MySQL's 65,535-byte row limit and
// InnoDB's in-page limit for ROW_FORMAT=DYNAMIC rows on 16 KiB pages (half a
// page, 8,126 bytes, less the record header), each with a small margin.
class RowBudget {
 public:
  // Counts a column that every table of its kind has (keys, system columns).
  void Add(const Column& c) {
    server_ += ServerRowBytes(c);
    inline_ += InlineRowBytes(c);
    definition_ += DefinitionBytes(c);
    ++columns_;
  }

  // Counts `c` when it fits, first turning a VARCHAR into TEXT unless the
  // VARCHAR leaves room for every further column of the table as TEXT.
  // False when it does not fit at all.
  bool Fit(Column* c) {
    if (c->type() == v1::COLUMN_TYPE_VARCHAR) {
      Column as_text = *c;
      as_text.set_type(v1::COLUMN_TYPE_TEXT);
      as_text.clear_max_length();
      const size_t most = kMaxColumnsPerTable;
      size_t later = most > columns_ + 1 ? most - columns_ - 1 : 0;
      if (!Fits(*c, later * ServerRowBytes(as_text))) *c = as_text;
    }
    if (!Fits(*c, 0)) return false;
    Add(*c);
    return true;
  }

 private:
  static constexpr size_t kServerLimit = 65535 - 64;
  static constexpr size_t kInlineLimit = 8126 - 64;
  // Record header, transaction id and roll pointer.
  static constexpr size_t kRecordOverhead = 18;
  // MariaDB keeps a table's definition in at most 64 KiB, each column taking
  // its name and about 17 bytes (measured: 794 columns of 64-character names
  // fit, 795 do not); the rest is the table's own part.
  static constexpr size_t kDefinitionLimit = 62000;
  static size_t DefinitionBytes(const Column& c) {
    return c.name().size() + 20;
  }

  bool Fits(const Column& c, size_t server_reserve) const {
    size_t null_bitmap = (columns_ + 1 + 7) / 8;
    return definition_ + DefinitionBytes(c) <= kDefinitionLimit &&
           server_ + ServerRowBytes(c) + null_bitmap + server_reserve <=
               kServerLimit &&
           inline_ + InlineRowBytes(c) + null_bitmap + kRecordOverhead <=
               kInlineLimit;
  }

  size_t server_ = 0;
  size_t inline_ = 0;
  size_t definition_ = 0;
  size_t columns_ = 0;
};

Column SystemColumn(std::string name, ColumnType type, ColumnSource source) {
  Column c;
  c.set_name(std::move(name));
  c.set_type(type);
  c.set_source(source);
  return c;
}

Column LastModifiedColumn() {
  return SystemColumn("lastModified", v1::COLUMN_TYPE_DATETIME,
                      v1::COLUMN_SOURCE_LAST_MODIFIED);
}

class Generator {
 public:
  explicit Generator(v1::DataStructure* structure) : structure_(structure) {}

  absl::Status Run(const Shape& record) {
    if (structure_->base_name().empty()) {
      return BadSample("baseName: a base name for the tables is required");
    }
    if (structure_->primary_key().empty()) {
      return BadSample("primaryKey: at least one root field is required");
    }
    Table root;
    root.set_name(table_names_.Take(structure_->base_name()));
    UniqueNames columns;
    columns.Reserve("lastModified");
    columns.Reserve("_extra");
    // Primary-key columns first, in key order.
    int string_keys = 0;
    for (const std::string& key : structure_->primary_key()) {
      const Shape* shape = FindField(record, SplitUserPath(key));
      if (shape == nullptr) {
        return BadSample(absl::StrCat("primaryKey: field \"", key,
                                      "\" is not in the sample"));
      }
      if (shape->kind != Shape::kInt && shape->kind != Shape::kString &&
          shape->kind != Shape::kTimestamp) {
        return BadSample(
            absl::StrCat("primaryKey: field \"", key,
                         "\" must hold an integer or a string in the sample"));
      }
      string_keys += shape->kind == Shape::kString;
    }
    // InnoDB keys are at most 3072 bytes; utf8mb4 takes up to 4 per character.
    int key_length = string_keys == 0
                         ? kVarcharLength
                         : std::min(kVarcharLength, 700 / string_keys);
    for (const std::string& key : structure_->primary_key()) {
      std::vector<std::string> parts = SplitUserPath(key);
      const Shape* shape = FindField(record, parts);
      Column c = MakeColumn(columns.Take(absl::StrJoin(parts, "_")),
                            JoinPath(parts), *shape);
      if (c.type() == v1::COLUMN_TYPE_VARCHAR ||
          c.type() == v1::COLUMN_TYPE_TEXT) {
        c.set_type(v1::COLUMN_TYPE_VARCHAR);
        c.set_max_length(key_length);
      }
      c.set_primary_key(true);
      key_paths_.push_back(c.json_path());
      *root.add_columns() = c;
    }
    root_keys_.assign(root.columns().begin(), root.columns().end());
    Column extra =
        SystemColumn("_extra", v1::COLUMN_TYPE_JSON, v1::COLUMN_SOURCE_EXTRA);
    Column last_modified = LastModifiedColumn();
    PushTable(std::move(root), {extra, last_modified});
    SLUICE_RETURN_IF_ERROR(AddFields(0, &columns, record, "", "", /*depth=*/0));
    *tables_[0].add_columns() = std::move(extra);
    *tables_[0].add_columns() = std::move(last_modified);
    for (const Table& t : tables_) {
      int fields = t.extra_fields_size();
      for (const Column& c : t.columns()) {
        fields += c.source() == v1::COLUMN_SOURCE_FIELD;
      }
      if (fields > kMaxColumnsPerTable) {
        return BadSample(absl::StrCat("sample gives table \"", t.name(), "\" ",
                                      fields, " columns; at most ",
                                      kMaxColumnsPerTable, " are allowed"));
      }
    }
    structure_->clear_tables();
    for (Table& t : tables_) *structure_->add_tables() = std::move(t);
    return absl::OkStatus();
  }

 private:
  static const Shape* FindField(const Shape& record,
                                const std::vector<std::string>& parts) {
    const Shape* shape = &record;
    for (const std::string& part : parts) {
      if (shape->kind != Shape::kObject) return nullptr;
      const Shape* next = nullptr;
      for (const auto& [name, field] : shape->fields) {
        if (name == part) next = field.get();
      }
      if (next == nullptr) return nullptr;
      shape = next;
    }
    return shape;
  }

  bool IsKeyPath(size_t table, const std::string& path) const {
    if (table != 0) return false;
    for (const std::string& k : key_paths_) {
      if (k == path) return true;
    }
    return false;
  }

  // Adds the fields of object `shape` (at `path`, column prefix `prefix`) to
  // table `t`.
  absl::Status AddFields(size_t t, UniqueNames* columns, const Shape& shape,
                         const std::string& path, const std::string& prefix,
                         int depth) {
    for (const auto& [key, field] : shape.fields) {
      std::string field_path = AppendPath(path, key);
      std::string name = prefix.empty() ? key : absl::StrCat(prefix, "_", key);
      if (IsKeyPath(t, field_path)) continue;
      if (field->kind == Shape::kObject && !field->fields.empty()) {
        SLUICE_RETURN_IF_ERROR(
            AddFields(t, columns, *field, field_path, name, depth + 1));
      } else if (field->kind == Shape::kArray) {
        SLUICE_RETURN_IF_ERROR(
            AddChildTable(t, field_path, name, *field->items, depth + 1));
      } else {
        AddColumn(t, columns, name, field_path, *field);
      }
    }
    return absl::OkStatus();
  }

  // Adds table `t`, holding its key and position columns, with a row budget
  // that counts them and the system columns `trailing` added after its
  // fields. Returns its index.
  size_t PushTable(Table t, const std::vector<Column>& trailing) {
    RowBudget budget;
    for (const Column& c : t.columns()) budget.Add(c);
    for (const Column& c : trailing) budget.Add(c);
    tables_.push_back(std::move(t));
    budgets_.push_back(budget);
    return tables_.size() - 1;
  }

  // Adds a column for a scalar field to table `t`, or, when the row has no
  // room left, lists the field as kept in `_extra`.
  void AddColumn(size_t t, UniqueNames* columns, const std::string& name,
                 const std::string& path, const Shape& shape) {
    Column c = MakeColumn(columns->Take(name), path, shape);
    if (!budgets_[t].Fit(&c)) {
      tables_[t].add_extra_fields(path);  // its name stays reserved, unused
      return;
    }
    *tables_[t].add_columns() = std::move(c);
  }

  // Adds a child table of table `parent` for an array at `path` (relative to
  // the parent's element) whose items look like `items`.
  absl::Status AddChildTable(size_t parent, const std::string& path,
                             const std::string& field_name, const Shape& items,
                             int depth) {
    if (static_cast<int>(tables_.size()) >= kMaxTables) {
      return BadSample(
          absl::StrCat("sample gives more than ", kMaxTables, " tables"));
    }
    Table child;
    child.set_parent(tables_[parent].name());
    child.set_json_path(path);
    child.set_name(table_names_.Take(
        absl::StrCat(tables_[parent].name(), "_", field_name)));
    UniqueNames columns;
    columns.Reserve("lastModified");
    for (const Column& key : root_keys_) {
      Column c = key;
      c.set_source(v1::COLUMN_SOURCE_ROOT_KEY);
      columns.Reserve(c.name());
      *child.add_columns() = c;
    }
    int parent_depth = depth_of_.count(parent) ? depth_of_[parent] : 0;
    int my_depth = parent_depth + 1;
    for (int i = 1; i <= my_depth; ++i) {
      Column c = SystemColumn(
          i == my_depth ? "_position" : absl::StrCat("_position_", i),
          v1::COLUMN_TYPE_BIGINT, v1::COLUMN_SOURCE_POSITION);
      c.set_primary_key(true);
      columns.Reserve(c.name());
      *child.add_columns() = c;
    }
    Column last_modified = LastModifiedColumn();
    size_t index = PushTable(std::move(child), {last_modified});
    depth_of_[index] = my_depth;
    if (items.kind == Shape::kObject && !items.fields.empty()) {
      SLUICE_RETURN_IF_ERROR(AddFields(index, &columns, items, "", "", depth));
    } else if (items.kind == Shape::kArray) {
      SLUICE_RETURN_IF_ERROR(
          AddChildTable(index, "", "value", *items.items, depth + 1));
    } else {
      tables_[index].set_scalar_items(true);
      Column value = MakeColumn(columns.Take("value"), "", items);
      budgets_[index].Fit(&value);  // one column always fits
      *tables_[index].add_columns() = std::move(value);
    }
    *tables_[index].add_columns() = std::move(last_modified);
    return absl::OkStatus();
  }

  v1::DataStructure* structure_;
  std::vector<Table> tables_;
  std::vector<RowBudget> budgets_;  // parallel to tables_
  std::vector<Column> root_keys_;
  std::vector<std::string> key_paths_;
  std::map<size_t, int> depth_of_;
  UniqueNames table_names_;
};

}  // namespace

absl::Status GenerateTables(v1::DataStructure* structure) {
  simdjson::dom::parser parser;
  if (parser.allocate(structure->sample_json().size() + 64, 256) !=
      simdjson::SUCCESS) {
    return BadSample("sample too large");
  }
  simdjson::padded_string padded(structure->sample_json());
  element doc;
  if (auto error = parser.parse(padded).get(doc); error) {
    return BadSample(absl::StrCat("sample is not valid JSON: ",
                                  simdjson::error_message(error)));
  }
  element at = doc;
  std::string walked;
  for (const std::string& part : SplitUserPath(structure->root_path())) {
    walked = walked.empty() ? part : absl::StrCat(walked, ".", part);
    element next;
    if (at.type() != element_type::OBJECT ||
        at.get_object().at_key(part).get(next)) {
      return BadSample(
          absl::StrCat("rootPath: \"", walked, "\" is not in the sample"));
    }
    at = next;
  }
  Shape record;
  if (at.type() == element_type::ARRAY) {
    for (element item : simdjson::dom::array(at)) {
      if (item.type() != element_type::OBJECT) {
        return BadSample(
            "sample: the records at the root path must be JSON objects");
      }
      SLUICE_RETURN_IF_ERROR(Merge(&record, item, 0, ""));
    }
  } else if (at.type() == element_type::OBJECT) {
    SLUICE_RETURN_IF_ERROR(Merge(&record, at, 0, ""));
  }
  if (record.kind != Shape::kObject) {
    return BadSample(
        "sample: the root path must hold a JSON object or an array of objects");
  }
  return Generator(structure).Run(record);
}

std::string RenderCreateTable(const Table& table, const std::string& database) {
  std::vector<std::string> lines;
  std::vector<std::string> keys;
  for (const Column& c : table.columns()) {
    bool not_null = c.primary_key() ||
                    c.source() == v1::COLUMN_SOURCE_ROOT_KEY ||
                    c.source() == v1::COLUMN_SOURCE_LAST_MODIFIED;
    lines.push_back(absl::StrCat("  ", QuoteIdentifier(c.name()), " ",
                                 SqlType(c), not_null ? " NOT NULL" : " NULL"));
    if (c.primary_key() || c.source() == v1::COLUMN_SOURCE_ROOT_KEY) {
      keys.push_back(QuoteIdentifier(c.name()));
    }
  }
  lines.push_back(
      absl::StrCat("  PRIMARY KEY (", absl::StrJoin(keys, ", "), ")"));
  if (table.parent().empty()) {
    lines.push_back("  KEY `lastModified` (`lastModified`)");
  }
  std::string name = QuoteIdentifier(table.name());
  if (!database.empty())
    name = absl::StrCat(QuoteIdentifier(database), ".", name);
  return absl::StrCat("CREATE TABLE ", name, " (\n",
                      absl::StrJoin(lines, ",\n"),
                      "\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
                      "COLLATE=utf8mb4_nopad_bin ROW_FORMAT=DYNAMIC");
}

}  // namespace sluice::mapping
