#include "common/mapping/record_assembler.h"

#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "common/mapping/json_path.h"
#include "common/mapping/timestamp.h"

namespace sluice::mapping {
namespace {

using json = nlohmann::ordered_json;

json ToJson(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kBoolValue:
      return value.bool_value();
    case v1::Value::kIntValue:
      return value.int_value();
    case v1::Value::kDoubleValue:
      return value.double_value();
    case v1::Value::kStringValue:
      return value.string_value();
    case v1::Value::kTimestampMicros:
      return FormatIso8601(value.timestamp_micros());
    case v1::Value::kJsonValue:
      return json::parse(value.json_value(), nullptr, false);
    default:
      return nullptr;
  }
}

// The member of object `at` at `keys`, creating objects on the way.
json* Member(json* at, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    if (!at->is_object()) *at = json::object();
    at = &(*at)[key];
  }
  return at;
}

// The array a child table fills, at `path` of its parent's element.
json* ArrayAt(json* element, const std::string& path) {
  json* at = Member(element, SplitPath(path));
  if (!at->is_array()) *at = json::array();
  return at;
}

// Puts an `_extra` value back at its JSON Pointer in `record`. Containers on
// the way exist already (they come from the sample's structure) or are
// created; array indexes past the end are filled with nulls.
void PutAtPointer(json* record, const std::vector<std::string>& segments,
                  json value) {
  json* at = record;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& segment = segments[i];
    size_t index = 0;
    if (at->is_array() && absl::SimpleAtoi(segment, &index) &&
        index < (1u << 20)) {
      while (at->size() <= index) at->push_back(nullptr);
      at = &(*at)[index];
    } else {
      if (!at->is_object()) *at = json::object();
      at = &(*at)[segment];
    }
  }
  *at = std::move(value);
}

// Fields kept in `_extra` by earlier versions: dotted paths, array items
// not kept apart.
void PutLegacyExtra(json* record, const std::string& path, json value) {
  if (path.find('[') != std::string::npos) return;
  std::vector<std::string> keys = SplitUserPath(path);
  if (keys.empty()) keys.push_back("");  // a root field named ""
  *Member(record, keys) = std::move(value);
}

}  // namespace

std::string AssembleRecord(const std::vector<v1::Table>& tables,
                           const StoredRecord& stored) {
  json record = json::object();
  json extra;
  std::string last_modified;
  const v1::Table& root = tables[0];
  for (int c = 0;
       c < root.columns_size() && c < static_cast<int>(stored.root.size());
       ++c) {
    const v1::Column& column = root.columns(c);
    json value = ToJson(stored.root[c]);
    switch (column.source()) {
      case v1::COLUMN_SOURCE_EXTRA:
        extra = std::move(value);
        break;
      case v1::COLUMN_SOURCE_LAST_MODIFIED:
        if (value.is_string()) last_modified = value.get<std::string>();
        break;
      default:
        *Member(&record, SplitPath(column.json_path())) = std::move(value);
    }
  }
  std::map<std::string, int> index_of;
  for (size_t t = 0; t < tables.size(); ++t) index_of[tables[t].name()] = t;
  // A table whose json_path is empty holds the items of its parent's items,
  // which are arrays.
  std::vector<bool> items_are_arrays(tables.size(), false);
  for (size_t t = 1; t < tables.size(); ++t) {
    if (tables[t].json_path().empty()) {
      items_are_arrays[index_of[tables[t].parent()]] = true;
    }
  }
  // items[t] maps a row's positions to its element.
  std::vector<std::map<std::vector<int64_t>, json>> items(tables.size());
  for (size_t t = 1; t < tables.size() && t < stored.children.size(); ++t) {
    const v1::Table& table = tables[t];
    for (const std::vector<v1::Value>& row : stored.children[t]) {
      std::vector<int64_t> positions;
      json item = table.scalar_items()  ? json()
                  : items_are_arrays[t] ? json::array()
                                        : json::object();
      for (int c = 0;
           c < table.columns_size() && c < static_cast<int>(row.size()); ++c) {
        const v1::Column& column = table.columns(c);
        if (column.source() == v1::COLUMN_SOURCE_POSITION) {
          positions.push_back(row[c].int_value());
        } else if (column.source() == v1::COLUMN_SOURCE_FIELD) {
          if (table.scalar_items()) {
            item = ToJson(row[c]);
          } else {
            *Member(&item, SplitPath(column.json_path())) = ToJson(row[c]);
          }
        }
      }
      items[t][positions] = std::move(item);
    }
  }
  // Attach children to their parents, deepest tables first.
  for (size_t t = tables.size(); t-- > 1;) {
    auto parent = index_of.find(tables[t].parent());
    if (parent == index_of.end()) continue;
    for (auto& [positions, item] : items[t]) {
      json* element = &record;
      if (parent->second != 0) {
        std::vector<int64_t> parent_positions(positions.begin(),
                                              positions.end() - 1);
        element = &items[parent->second][parent_positions];
      }
      ArrayAt(element, tables[t].json_path())->push_back(std::move(item));
    }
  }
  if (extra.is_object()) {
    for (auto& [path, value] : extra.items()) {
      auto segments = IsPointerKey(path) ? SplitPointer(path) : std::nullopt;
      if (segments) {
        PutAtPointer(&record, *segments, std::move(value));
      } else {
        PutLegacyExtra(&record, path, std::move(value));
      }
    }
  }
  std::string name = "lastModified";
  while (record.contains(name)) name.insert(0, "_");
  record[name] = last_modified;
  return record.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace sluice::mapping
