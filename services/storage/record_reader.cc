#include "services/storage/record_reader.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/crypto.h"
#include "common/mapping/record_assembler.h"
#include "common/mysql/mysql_pool.h"
#include "common/status/error_code.h"
#include "common/status/status_macros.h"
#include "services/storage/sql_values.h"

namespace sluice {
namespace {

// Reads one record by key and reassembles it; nullopt when missing.
std::optional<std::string> ReadRecord(
    sql::Connection& con, const ListenerTables& lt,
    const TableCatalog& catalog,
    const std::vector<v1::Value>& key) {
  const v1::Table& root = lt.tables[0];
  mapping::StoredRecord stored;
  {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        absl::StrCat("SELECT * FROM ", catalog.Qualified(root.name()), " WHERE ",
                     KeyPredicate(root))));
    int index = 1;
    for (const v1::Value& v : key) BindValue(st.get(), index++, v);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    for (int c = 0; c < root.columns_size(); ++c) {
      stored.root.push_back(ReadValue(*rs, c + 1, root.columns(c)));
    }
  }
  stored.children.resize(lt.tables.size());
  for (size_t t = 1; t < lt.tables.size(); ++t) {
    const v1::Table& table = lt.tables[t];
    std::vector<std::string> order;
    for (const auto& c : table.columns()) {
      if (c.source() == v1::COLUMN_SOURCE_POSITION)
        order.push_back(QuoteIdentifier(c.name()));
    }
    std::unique_ptr<sql::PreparedStatement> q(con.prepareStatement(absl::StrCat(
        "SELECT * FROM ", catalog.Qualified(table.name()), " WHERE ",
        KeyPredicate(table), " ORDER BY ", absl::StrJoin(order, ", "))));
    int i = 1;
    for (const v1::Value& v : key) BindValue(q.get(), i++, v);
    std::unique_ptr<sql::ResultSet> rows(q->executeQuery());
    while (rows->next()) {
      std::vector<v1::Value>& row = stored.children[t].emplace_back();
      for (int c = 0; c < table.columns_size(); ++c) {
        row.push_back(ReadValue(*rows, c + 1, table.columns(c)));
      }
    }
  }
  return mapping::AssembleRecord(lt.tables, stored);
}

std::string EncodePageToken(const std::vector<v1::Value>& key) {
  v1::Record record;
  for (const auto& v : key) *record.add_key() = v;
  return crypto::Base64UrlEncode(record.SerializeAsString());
}

bool DecodePageToken(const std::string& token, std::vector<v1::Value>* key) {
  std::string standard = token;
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  std::string bytes;
  v1::Record record;
  if (!crypto::Base64Decode(standard, &bytes) || !record.ParseFromString(bytes))
    return false;
  key->assign(record.key().begin(), record.key().end());
  return true;
}

}  // namespace

absl::StatusOr<std::string> RecordReader::GetRecord(
    const std::string& listener_uuid, const std::vector<v1::Value>& key) {
  SLUICE_ASSIGN_OR_RETURN(std::shared_ptr<const ListenerTables> lt,
                          catalog_->Tables(listener_uuid));
  std::optional<std::string> record;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
    record = ReadRecord(
        con, *lt, *catalog_, key);
    return absl::OkStatus();
  }));
  if (!record) {
    return WithErrorCode(
        absl::NotFoundError(absl::StrCat("no record with key ", DescribeKey(key))),
        "record_not_found");
  }
  return *std::move(record);
}

absl::StatusOr<v1::ListRecordsResponse> RecordReader::ListRecords(
    const v1::ListRecordsRequest& request) {
  SLUICE_ASSIGN_OR_RETURN(std::shared_ptr<const ListenerTables> lt,
                          catalog_->Tables(request.listener_uuid()));
  int limit = request.limit() <= 0 ? 50 : std::min(request.limit(), 1000);
  std::vector<v1::Value> after;
  if (!request.page_token().empty() &&
      (!DecodePageToken(request.page_token(), &after) ||
       after.size() != lt->key_columns.size())) {
    return InvalidArgumentError("invalid_page_token",
                                "pageToken is not one this API returned");
  }
  const v1::Table& root = lt->tables[0];
  const std::vector<std::string> key_names = KeyColumns(root);
  std::string keys = absl::StrJoin(key_names, ", ");
  std::vector<std::string> marks(key_names.size(), "?");
  std::string sql =
      absl::StrCat("SELECT ", keys, " FROM ", catalog_->Qualified(root.name()));
  if (!after.empty()) {
    absl::StrAppend(&sql, " WHERE (", keys, ") > (", absl::StrJoin(marks, ", "),
                    ")");
  }
  absl::StrAppend(&sql, " ORDER BY ", keys, " LIMIT ", limit + 1);
  v1::ListRecordsResponse response;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(sql));
    int index = 1;
    for (const v1::Value& v : after) BindValue(st.get(), index++, v);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<std::vector<v1::Value>> page;
    while (rs->next()) {
      RecordKey key = ReadKey(*rs, lt->tables[0], lt->key_columns);
      page.emplace_back(key.begin(), key.end());
    }
    bool more = page.size() > static_cast<size_t>(limit);
    if (more) page.pop_back();
    for (const auto& key : page) {
      auto record = ReadRecord(
          con, *lt, *catalog_, key);
      if (record) response.add_records()->set_json(*std::move(record));
    }
    if (more) response.set_next_page_token(EncodePageToken(page.back()));
    return absl::OkStatus();
  }));
  return response;
}

}  // namespace sluice
