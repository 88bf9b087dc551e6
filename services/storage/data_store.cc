#include "services/storage/data_store.h"

#include <cppconn/connection.h>
#include <cppconn/datatype.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/crypto.h"
#include "common/mapping/json_path.h"
#include "common/mapping/record_assembler.h"
#include "common/mapping/table_generator.h"
#include "common/mapping/timestamp.h"
#include "common/mysql/mysql_pool.h"
#include "common/status/error_code.h"
#include "common/status/status_macros.h"
#include "services/storage/sql_values.h"

namespace sluice {
namespace {

using nlohmann::ordered_json;

// Rows per multi-row statement, and the placeholder budget per statement
// (MySQL allows 65535).
constexpr size_t kMaxRowsPerStatement = 500;
constexpr size_t kMaxPlaceholders = 60000;
// Text compares byte for byte, trailing spaces included.
constexpr char kDataCollation[] = "utf8mb4_nopad_bin";

bool IsLastModified(const v1::Column& c) {
  return c.source() == v1::COLUMN_SOURCE_LAST_MODIFIED;
}

std::string KeyString(
    const google::protobuf::RepeatedPtrField<v1::Value>& key) {
  std::string out;
  for (const auto& v : key) {
    std::string bytes = v.SerializeAsString();
    absl::StrAppend(&out, bytes.size(), ":", bytes);
  }
  return out;
}

// "(`a` = ? AND `b` = ?)"
std::string KeyPredicate(const v1::Table& table) {
  std::vector<std::string> parts;
  for (const auto& c : table.columns()) {
    if (c.source() == v1::COLUMN_SOURCE_ROOT_KEY ||
        (table.parent().empty() && c.primary_key())) {
      parts.push_back(absl::StrCat(QuoteIdentifier(c.name()), " = ?"));
    }
  }
  return absl::StrCat("(", absl::StrJoin(parts, " AND "), ")");
}

std::string Describe(const std::vector<v1::Value>& key) {
  std::vector<std::string> parts;
  for (const auto& v : key) {
    switch (v.kind_case()) {
      case v1::Value::kIntValue:
        parts.push_back(absl::StrCat(v.int_value()));
        break;
      case v1::Value::kTimestampMicros:
        parts.push_back(mapping::FormatIso8601(v.timestamp_micros()));
        break;
      default:
        parts.push_back(absl::StrCat("\"", v.string_value(), "\""));
    }
  }
  return absl::StrJoin(parts, ", ");
}

bool IsSampleDdlError(int code) {
  switch (code) {
    case 1050:  // table exists
    case 1059:  // identifier too long
    case 1060:  // duplicate column
    case 1071:  // key too long
    case 1074:  // column too long
    case 1117:  // too many columns / definition too large
    case 1118:  // row too large
    case 1166:  // bad column name
      return true;
    default:
      return false;
  }
}

// The answer to a CREATE TABLE the server refused because of what the sample
// made, in words a user can act on (never the server's own text).
absl::Status DdlError(const v1::Table& table, int code) {
  if (code == 1050) {
    return WithErrorCode(absl::AlreadyExistsError(absl::StrCat(
                             "table \"", table.name(), "\" already exists")),
                         "table_exists");
  }
  std::string reason;
  switch (code) {
    case 1118:
      reason = "its rows would be larger than the database allows";
      break;
    case 1117:
      reason = "it has more columns, or longer names, than the database allows";
      break;
    case 1071:
    case 1074:
      reason = "its primary key or a column is longer than the database allows";
      break;
    default:
      reason = "a column name is not one the database accepts";
  }
  return InvalidArgumentError(
      "invalid_sample", absl::StrCat("the sample's table \"", table.name(),
                                     "\" cannot be created: ", reason));
}

}  // namespace

DataStore::DataStore(MySqlPool* pool, std::string data_database)
    : pool_(pool), data_database_(std::move(data_database)) {}

std::vector<std::vector<std::string>> DataStore::Migrations() {
  return {{
              "CREATE TABLE IF NOT EXISTS listener_tables ("
              " listener_uuid CHAR(36) NOT NULL PRIMARY KEY,"
              " tables LONGBLOB NOT NULL,"
              " updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
              ") ENGINE=InnoDB",
          },
          {
              "CREATE TABLE IF NOT EXISTS idempotency_keys ("
              " listener_uuid CHAR(36) NOT NULL,"
              " key_sha256 BINARY(32) NOT NULL,"
              " records BIGINT NOT NULL,"
              " created DATETIME(6) NOT NULL,"
              " PRIMARY KEY (listener_uuid, key_sha256),"
              " KEY created (created)"
              ") ENGINE=InnoDB",
          }};
}

absl::Status DataStore::EnsureDataDatabase() {
  return pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::Statement> st(con.createStatement());
    const std::string db = QuoteIdentifier(data_database_);
    st->execute(absl::StrCat("CREATE DATABASE IF NOT EXISTS ", db,
                             " CHARACTER SET utf8mb4 COLLATE ",
                             kDataCollation));
    st->execute(absl::StrCat("ALTER DATABASE ", db,
                             " CHARACTER SET utf8mb4 COLLATE ",
                             kDataCollation));
    // Tables made by earlier versions compared text with PAD SPACE ('a' and
    // 'a ' were one key): move their text columns to the exact collation,
    // once, by one replica at a time (others find nothing left to do).
    std::unique_ptr<sql::ResultSet> lock(
        st->executeQuery("SELECT GET_LOCK('sluice_data_collation', 300)"));
    if (!lock->next() || lock->getInt(1) != 1) {
      return absl::UnavailableError("could not take the migration lock");
    }
    auto release = [&] {
      std::unique_ptr<sql::ResultSet> unlock(
          st->executeQuery("SELECT RELEASE_LOCK('sluice_data_collation')"));
    };
    try {
      MigrateToExactCollation(con);
    } catch (...) {
      release();
      throw;
    }
    release();
    return absl::OkStatus();
  });
}

void DataStore::MigrateToExactCollation(sql::Connection& con) {
  std::unique_ptr<sql::Statement> st(con.createStatement());
  std::unique_ptr<sql::PreparedStatement> q(con.prepareStatement(
      "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM "
      "information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND "
      "COLLATION_NAME = 'utf8mb4_bin' AND DATA_TYPE IN ('varchar', 'text') "
      "ORDER BY TABLE_NAME, ORDINAL_POSITION"));
  q->setString(1, data_database_);
  std::unique_ptr<sql::ResultSet> rs(q->executeQuery());
  std::map<std::string, std::vector<std::string>> changes;
  while (rs->next()) {
    changes[rs->getString(1).asStdString()].push_back(absl::StrCat(
        "MODIFY ", QuoteIdentifier(rs->getString(2).asStdString()), " ",
        rs->getString(3).asStdString(), " CHARACTER SET utf8mb4 COLLATE ",
        kDataCollation,
        rs->getString(4).asStdString() == "YES" ? " NULL" : " NOT NULL"));
  }
  for (const auto& [table, modify] : changes) {
    st->execute(absl::StrCat("ALTER TABLE ", Qualified(table), " ",
                             absl::StrJoin(modify, ", ")));
  }
}

std::string DataStore::Qualified(const std::string& table) const {
  return absl::StrCat(QuoteIdentifier(data_database_), ".",
                      QuoteIdentifier(table));
}

void DataStore::Forget(const std::string& listener_uuid) {
  absl::MutexLock lock(&mu_);
  cache_.erase(listener_uuid);
}

absl::StatusOr<std::shared_ptr<const ListenerTables>> DataStore::Tables(
    const std::string& listener_uuid) {
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(listener_uuid);
    if (it != cache_.end()) return it->second;
  }
  v1::DataStructure stored;
  bool found = false;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "SELECT tables FROM listener_tables WHERE listener_uuid = ?"));
    st->setString(1, listener_uuid);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (rs->next()) {
      found = true;
      if (!stored.ParseFromString(rs->getString(1).asStdString())) {
        return absl::DataLossError("stored table definitions do not parse");
      }
    }
    return absl::OkStatus();
  }));
  if (!found || stored.tables_size() == 0) {
    return absl::NotFoundError("the listener has no tables");
  }
  auto tables = std::make_shared<ListenerTables>();
  tables->tables.assign(stored.tables().begin(), stored.tables().end());
  tables->columns.resize(tables->tables.size());
  for (size_t t = 0; t < tables->tables.size(); ++t) {
    tables->index[tables->tables[t].name()] = static_cast<int>(t);
    for (int c = 0; c < tables->tables[t].columns_size(); ++c) {
      tables->columns[t][tables->tables[t].columns(c).name()] = c;
      if (t == 0 && tables->tables[0].columns(c).primary_key())
        tables->key_columns.push_back(c);
      if (t == 0 &&
          tables->tables[0].columns(c).source() == v1::COLUMN_SOURCE_EXTRA) {
        tables->extra_column = c;
      }
    }
  }
  absl::MutexLock lock(&mu_);
  cache_[listener_uuid] = tables;
  return std::shared_ptr<const ListenerTables>(tables);
}

absl::StatusOr<std::vector<std::string>> DataStore::CreateTables(
    const std::string& listener_uuid, const std::vector<v1::Table>& tables) {
  if (tables.empty()) return absl::InvalidArgumentError("no tables to create");
  std::vector<std::string> ddl;
  std::vector<std::string> created;
  absl::Status status = pool_->Run([&](sql::Connection& con) -> absl::Status {
    std::unique_ptr<sql::Statement> st(con.createStatement());
    for (const v1::Table& table : tables) {
      std::string statement = mapping::RenderCreateTable(table, data_database_);
      try {
        st->execute(statement);
      } catch (const sql::SQLException& e) {
        // Refusals the sample caused are the client's to fix; anything else
        // (locks, a read-only server, permissions) is ours.
        if (!IsSampleDdlError(e.getErrorCode())) throw;
        return DdlError(table, e.getErrorCode());
      }
      created.push_back(table.name());
      ddl.push_back(statement);
    }
    v1::DataStructure stored;
    for (const v1::Table& table : tables) *stored.add_tables() = table;
    std::string blob = stored.SerializeAsString();
    std::istringstream in(blob);
    std::unique_ptr<sql::PreparedStatement> put(con.prepareStatement(
        "INSERT INTO listener_tables (listener_uuid, tables) VALUES (?, ?)"));
    put->setString(1, listener_uuid);
    put->setBlob(2, &in);
    put->executeUpdate();
    return absl::OkStatus();
  });
  if (!status.ok()) {
    // Leave nothing behind.
    (void)pool_->Run([&](sql::Connection& con) {
      std::unique_ptr<sql::Statement> st(con.createStatement());
      for (auto it = created.rbegin(); it != created.rend(); ++it) {
        st->execute(absl::StrCat("DROP TABLE IF EXISTS ", Qualified(*it)));
      }
      return absl::OkStatus();
    });
    return status;
  }
  Forget(listener_uuid);
  return ddl;
}

absl::Status DataStore::DropTables(const std::string& listener_uuid) {
  auto tables = Tables(listener_uuid);
  if (!tables.ok() && tables.status().code() != absl::StatusCode::kNotFound)
    return tables.status();
  absl::Status status = pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::Statement> st(con.createStatement());
    if (tables.ok()) {
      for (auto it = (*tables)->tables.rbegin(); it != (*tables)->tables.rend();
           ++it) {
        st->execute(
            absl::StrCat("DROP TABLE IF EXISTS ", Qualified(it->name())));
      }
    }
    std::unique_ptr<sql::PreparedStatement> del(con.prepareStatement(
        "DELETE FROM listener_tables WHERE listener_uuid = ?"));
    del->setString(1, listener_uuid);
    del->executeUpdate();
    return absl::OkStatus();
  });
  Forget(listener_uuid);
  return status;
}

namespace {

// Deletes the rows of `table` belonging to any of `keys`.
int64_t DeleteByKeys(
    sql::Connection& con, const std::string& qualified, const v1::Table& table,
    const std::vector<const google::protobuf::RepeatedPtrField<v1::Value>*>&
        keys) {
  int64_t deleted = 0;
  std::string predicate = KeyPredicate(table);
  for (size_t start = 0; start < keys.size(); start += kMaxRowsPerStatement) {
    size_t end = std::min(keys.size(), start + kMaxRowsPerStatement);
    std::vector<std::string> ors(end - start, predicate);
    std::unique_ptr<sql::PreparedStatement> st(
        con.prepareStatement(absl::StrCat("DELETE FROM ", qualified, " WHERE ",
                                          absl::StrJoin(ors, " OR "))));
    int index = 1;
    for (size_t k = start; k < end; ++k) {
      for (const v1::Value& v : *keys[k]) BindValue(st.get(), index++, v);
    }
    deleted += st->executeUpdate();
  }
  return deleted;
}

// Inserts `rows` (full rows, values aligned with the table's columns) into
// `table`, with lastModified set to the commit-time clock. With `upsert`,
// an existing row with the same key is updated in place.
void InsertRows(sql::Connection& con, const std::string& qualified,
                const v1::Table& table, const std::vector<const v1::Row*>& rows,
                bool upsert) {
  std::vector<std::string> names;
  std::vector<std::string> placeholders;
  std::vector<int> bound;
  std::vector<std::string> updates;
  for (int c = 0; c < table.columns_size(); ++c) {
    const v1::Column& column = table.columns(c);
    names.push_back(QuoteIdentifier(column.name()));
    if (IsLastModified(column)) {
      placeholders.push_back("UTC_TIMESTAMP(6)");
    } else {
      placeholders.push_back("?");
      bound.push_back(c);
    }
    if (!column.primary_key()) {
      updates.push_back(
          absl::StrCat(names.back(), " = VALUES(", names.back(), ")"));
    }
  }
  std::string tuple = absl::StrCat("(", absl::StrJoin(placeholders, ", "), ")");
  size_t per_statement = std::max<size_t>(
      1, std::min(kMaxRowsPerStatement,
                  kMaxPlaceholders / std::max<size_t>(1, bound.size())));
  for (size_t start = 0; start < rows.size(); start += per_statement) {
    size_t end = std::min(rows.size(), start + per_statement);
    std::vector<std::string> tuples(end - start, tuple);
    std::string sql = absl::StrCat("INSERT INTO ", qualified, " (",
                                   absl::StrJoin(names, ", "), ") VALUES ",
                                   absl::StrJoin(tuples, ", "));
    if (upsert && !updates.empty()) {
      absl::StrAppend(&sql, " ON DUPLICATE KEY UPDATE ",
                      absl::StrJoin(updates, ", "));
    }
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(sql));
    int index = 1;
    for (size_t r = start; r < end; ++r) {
      for (int c : bound) BindValue(st.get(), index++, rows[r]->values(c));
    }
    st->executeUpdate();
  }
}

// A record's `_extra` after a PATCH: the PATCH's unknown fields merged into
// the stored ones as a JSON merge patch (RFC 7386: a null removes a field),
// after dropping the fields kept under arrays the PATCH replaces (pointer
// prefixes in `replaced`). Both sides are objects keyed by JSON Pointer.
v1::Value MergeExtra(const std::optional<std::string>& stored,
                     const v1::Value* patch,
                     const std::vector<std::string>& replaced) {
  ordered_json target =
      stored ? ordered_json::parse(*stored, nullptr, false) : ordered_json();
  if (!target.is_object()) target = ordered_json::object();
  // Keys written by earlier versions (dotted paths) become pointers first,
  // so that the patch meets them.
  ordered_json converted = ordered_json::object();
  for (auto& [key, value] : target.items()) {
    if (mapping::IsPointerKey(key)) {
      converted[key] = std::move(value);
    } else if (key.find('[') == std::string::npos) {
      converted[mapping::PointerOfLegacyKey(key)] = std::move(value);
    }
  }
  target = std::move(converted);
  for (const std::string& prefix : replaced) {
    for (auto it = target.begin(); it != target.end();) {
      const std::string& key = it.key();
      bool under = key.compare(0, prefix.size(), prefix) == 0 &&
                   (key.size() == prefix.size() || key[prefix.size()] == '/');
      it = under ? target.erase(it) : std::next(it);
    }
  }
  if (patch != nullptr && patch->has_json_value()) {
    ordered_json changes =
        ordered_json::parse(patch->json_value(), nullptr, false);
    if (changes.is_object()) target.merge_patch(changes);
  }
  v1::Value out;
  if (target.empty()) {
    out.set_null_value(true);
  } else {
    out.set_json_value(
        target.dump(-1, ' ', false, ordered_json::error_handler_t::replace));
  }
  return out;
}

absl::Status Invalid(size_t record, absl::string_view what) {
  return InvalidArgumentError("invalid_request",
                              absl::StrCat("records[", record, "]: ", what));
}

}  // namespace

absl::StatusOr<int64_t> DataStore::PurgeIdempotencyKeys() {
  // Small batches, each its own statement, until none is left: however many
  // keys a day brings, the sweep keeps up and never holds locks for long.
  constexpr int kBatch = 5000;
  int64_t total = 0;
  while (true) {
    int64_t deleted = 0;
    SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
      std::unique_ptr<sql::Statement> st(con.createStatement());
      deleted = st->executeUpdate(absl::StrCat(
          "DELETE FROM idempotency_keys WHERE created < UTC_TIMESTAMP(6) - "
          "INTERVAL 1 DAY LIMIT ",
          kBatch));
      return absl::OkStatus();
    }));
    total += deleted;
    if (deleted < kBatch) return total;
  }
}

namespace {

// Claims `key` for the listener inside the current transaction. Returns the
// records count of an earlier commit with the same key within 24 h, or
// nullopt when this request is the first (the key is then held until the
// transaction ends, so a concurrent duplicate waits and then replays).
std::optional<int64_t> ClaimIdempotencyKey(sql::Connection& con,
                                           const std::string& listener,
                                           const std::string& key_sha256) {
  std::istringstream blob(key_sha256);
  try {
    std::unique_ptr<sql::PreparedStatement> claim(
        con.prepareStatement("INSERT INTO idempotency_keys (listener_uuid, "
                             "key_sha256, records, created)"
                             " VALUES (?, ?, 0, UTC_TIMESTAMP(6))"));
    claim->setString(1, listener);
    claim->setBlob(2, &blob);
    claim->executeUpdate();
    return std::nullopt;
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != 1062) throw;
  }
  std::istringstream blob2(key_sha256);
  std::unique_ptr<sql::PreparedStatement> seen(con.prepareStatement(
      "SELECT records, created > UTC_TIMESTAMP(6) - INTERVAL 1 DAY FROM "
      "idempotency_keys"
      " WHERE listener_uuid = ? AND key_sha256 = ? FOR UPDATE"));
  seen->setString(1, listener);
  seen->setBlob(2, &blob2);
  std::unique_ptr<sql::ResultSet> rs(seen->executeQuery());
  if (rs->next() && rs->getBoolean(2)) return rs->getInt64(1);
  // Expired: this delivery counts as new.
  std::istringstream blob3(key_sha256);
  std::unique_ptr<sql::PreparedStatement> renew(con.prepareStatement(
      "UPDATE idempotency_keys SET created = UTC_TIMESTAMP(6) WHERE "
      "listener_uuid = ? AND key_sha256 = ?"));
  renew->setString(1, listener);
  renew->setBlob(2, &blob3);
  renew->executeUpdate();
  return std::nullopt;
}

void RecordIdempotencyKey(sql::Connection& con, const std::string& listener,
                          const std::string& key_sha256, int64_t records) {
  std::istringstream blob(key_sha256);
  std::unique_ptr<sql::PreparedStatement> st(
      con.prepareStatement("UPDATE idempotency_keys SET records = ? WHERE "
                           "listener_uuid = ? AND key_sha256 = ?"));
  st->setInt64(1, records);
  st->setString(2, listener);
  st->setBlob(3, &blob);
  st->executeUpdate();
}

}  // namespace

absl::StatusOr<v1::WriteResponse> DataStore::Write(
    const v1::WriteRequest& request,
    std::chrono::system_clock::time_point deadline) {
  SLUICE_ASSIGN_OR_RETURN(std::shared_ptr<const ListenerTables> lt,
                          Tables(request.listener_uuid()));
  const bool patch = request.mode() == v1::WRITE_MODE_PATCH;
  // Validate every record against the known tables before touching the
  // database: names and shapes come from the edge, not from trust.
  for (int r = 0; r < request.records_size(); ++r) {
    const v1::Record& record = request.records(r);
    if (record.key_size() != static_cast<int>(lt->key_columns.size())) {
      return Invalid(r, "the key does not match the table's primary key");
    }
    for (const v1::TableRows& rows : record.tables()) {
      auto t = lt->index.find(rows.table());
      if (t == lt->index.end())
        return Invalid(r, absl::StrCat("unknown table \"", rows.table(), "\""));
      const v1::Table& table = lt->tables[t->second];
      size_t width =
          rows.columns_size() > 0 ? rows.columns_size() : table.columns_size();
      for (const std::string& name : rows.columns()) {
        if (!lt->columns[t->second].count(name)) {
          return Invalid(r, absl::StrCat("unknown column \"", name, "\""));
        }
      }
      if (rows.columns_size() > 0 && (!patch || t->second != 0)) {
        return Invalid(
            r, "partial rows are only allowed for the root row of a PATCH");
      }
      for (const v1::Row& row : rows.rows()) {
        if (static_cast<size_t>(row.values_size()) != width) {
          return Invalid(r, absl::StrCat("a row of \"", rows.table(), "\" has ",
                                         row.values_size(), " values for ",
                                         width, " columns"));
        }
      }
    }
    for (const std::string& name : record.replaced_tables()) {
      auto t = lt->index.find(name);
      if (t == lt->index.end() || t->second == 0) {
        return Invalid(r, absl::StrCat("unknown child table \"", name, "\""));
      }
    }
  }

  int64_t written = 0;
  bool replayed = false;
  const std::string key_sha256 =
      request.idempotency_key().empty()
          ? ""
          : crypto::Sha256(request.idempotency_key());
  absl::Status status = pool_->Transaction(
      [&](sql::Connection& con) -> absl::Status {
        written = 0;
        replayed = false;
        if (!key_sha256.empty()) {
          if (auto earlier = ClaimIdempotencyKey(con, request.listener_uuid(),
                                                 key_sha256)) {
            replayed = true;
            written = *earlier;
            return absl::OkStatus();
          }
        }
        absl::Status s = WriteRecords(con, *lt, request, &written);
        if (s.ok() && !key_sha256.empty()) {
          RecordIdempotencyKey(con, request.listener_uuid(), key_sha256,
                               written);
        }
        return s;
      },
      deadline);
  if (status.code() == absl::StatusCode::kInternal &&
      status.message().find("error 1146") != absl::string_view::npos) {
    Forget(request.listener_uuid());
    return absl::NotFoundError("the listener's tables do not exist");
  }
  if (!status.ok()) return status;
  v1::WriteResponse response;
  response.set_records(written);
  response.set_replayed(replayed);
  return response;
}

absl::Status DataStore::WriteRecords(sql::Connection& con,
                                     const ListenerTables& lt_ref,
                                     const v1::WriteRequest& request,
                                     int64_t* written_out) {
  const ListenerTables* lt = &lt_ref;
  const bool patch = request.mode() == v1::WRITE_MODE_PATCH;
  int64_t& written = *written_out;
  {
    if (!patch) {
      // A key repeated within one request: the last occurrence wins, as if
      // the records had been sent one after another.
      // Records are written in key order (the map's), so concurrent batches
      // lock rows in the same order and rarely deadlock.
      std::map<std::string, int> last;
      for (int r = 0; r < request.records_size(); ++r)
        last[KeyString(request.records(r).key())] = r;
      std::vector<const google::protobuf::RepeatedPtrField<v1::Value>*> keys;
      std::vector<std::vector<const v1::Row*>> rows(lt->tables.size());
      for (const auto& [key, r] : last) {
        const v1::Record& record = request.records(r);
        keys.push_back(&record.key());
        for (const v1::TableRows& tr : record.tables()) {
          int t = lt->index.at(tr.table());
          for (const v1::Row& row : tr.rows()) rows[t].push_back(&row);
        }
      }
      if (keys.empty()) return absl::OkStatus();
      // The root upsert comes first: it locks each record's root row (new or
      // existing) until commit, so writers of the same record take turns.
      // Under READ COMMITTED there are no gap locks; without this, two
      // writers could both delete a record's children and then collide
      // inserting the new ones.
      InsertRows(con, Qualified(lt->tables[0].name()), lt->tables[0], rows[0],
                 /*upsert=*/true);
      for (size_t t = 1; t < lt->tables.size(); ++t) {
        DeleteByKeys(con, Qualified(lt->tables[t].name()), lt->tables[t], keys);
      }
      for (size_t t = 1; t < lt->tables.size(); ++t) {
        if (!rows[t].empty()) {
          InsertRows(con, Qualified(lt->tables[t].name()), lt->tables[t],
                     rows[t], false);
        }
      }
      written = request.records_size();
      return absl::OkStatus();
    }
    const v1::Table& root = lt->tables[0];
    const std::string root_name = Qualified(root.name());
    for (int r = 0; r < request.records_size(); ++r) {
      const v1::Record& record = request.records(r);
      std::vector<v1::Value> key(record.key().begin(), record.key().end());
      // Lock the record and read the unknown fields the PATCH merges into.
      const int extra_column = lt->extra_column;
      std::optional<std::string> stored_extra;
      {
        std::unique_ptr<sql::PreparedStatement> st(
            con.prepareStatement(absl::StrCat(
                "SELECT ",
                extra_column >= 0
                    ? QuoteIdentifier(root.columns(extra_column).name())
                    : std::string("NULL"),
                " FROM ", root_name, " WHERE ", KeyPredicate(root),
                " FOR UPDATE")));
        int index = 1;
        for (const v1::Value& v : key) BindValue(st.get(), index++, v);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        if (!rs->next()) {
          return WithErrorCode(
              absl::NotFoundError(absl::StrCat(
                  "records[", r, "]: no record with key ", Describe(key))),
              "record_not_found");
        }
        if (!rs->isNull(1)) stored_extra = rs->getString(1).asStdString();
      }
      std::vector<std::string> sets;
      const v1::TableRows* root_rows = nullptr;
      for (const v1::TableRows& tr : record.tables()) {
        if (tr.table() == root.name()) root_rows = &tr;
      }
      std::vector<const v1::Value*> values;
      const v1::Value* patch_extra = nullptr;
      if (root_rows != nullptr && root_rows->rows_size() == 1) {
        for (int c = 0; c < root_rows->columns_size(); ++c) {
          int column_index = lt->columns[0].at(root_rows->columns(c));
          const v1::Column& column = root.columns(column_index);
          if (column.primary_key() || IsLastModified(column)) continue;
          if (column_index == extra_column) {
            patch_extra = &root_rows->rows(0).values(c);
            continue;
          }
          sets.push_back(absl::StrCat(QuoteIdentifier(column.name()), " = ?"));
          values.push_back(&root_rows->rows(0).values(c));
        }
      }
      v1::Value merged_extra;
      if (extra_column >= 0) {
        std::vector<std::string> replaced;
        for (const std::string& name : record.replaced_tables()) {
          const v1::Table& table = lt->tables[lt->index.at(name)];
          if (table.parent() == root.name()) {
            replaced.push_back(mapping::PointerOfPath(table.json_path()));
          }
        }
        if (patch_extra != nullptr || (stored_extra && !replaced.empty())) {
          merged_extra = MergeExtra(stored_extra, patch_extra, replaced);
          sets.push_back(absl::StrCat(
              QuoteIdentifier(root.columns(extra_column).name()), " = ?"));
          values.push_back(&merged_extra);
        }
      }
      sets.push_back("`lastModified` = UTC_TIMESTAMP(6)");
      std::unique_ptr<sql::PreparedStatement> update(con.prepareStatement(
          absl::StrCat("UPDATE ", root_name, " SET ", absl::StrJoin(sets, ", "),
                       " WHERE ", KeyPredicate(root))));
      int index = 1;
      for (const v1::Value* v : values) BindValue(update.get(), index++, *v);
      for (const v1::Value& v : key) BindValue(update.get(), index++, v);
      update->executeUpdate();
      std::vector<const google::protobuf::RepeatedPtrField<v1::Value>*> keys = {
          &record.key()};
      for (const std::string& name : record.replaced_tables()) {
        int t = lt->index.at(name);
        DeleteByKeys(con, Qualified(name), lt->tables[t], keys);
      }
      for (const v1::TableRows& tr : record.tables()) {
        int t = lt->index.at(tr.table());
        if (t == 0) continue;
        std::vector<const v1::Row*> rows;
        for (const v1::Row& row : tr.rows()) rows.push_back(&row);
        InsertRows(con, Qualified(tr.table()), lt->tables[t], rows, false);
      }
      ++written;
    }
    return absl::OkStatus();
  }
}

absl::StatusOr<int64_t> DataStore::Delete(
    const std::string& listener_uuid, const std::vector<v1::Value>& key,
    std::chrono::system_clock::time_point deadline) {
  SLUICE_ASSIGN_OR_RETURN(std::shared_ptr<const ListenerTables> lt,
                          Tables(listener_uuid));
  if (key.size() != lt->key_columns.size()) {
    return absl::InvalidArgumentError(
        "the key does not match the table's primary key");
  }
  google::protobuf::RepeatedPtrField<v1::Value> k(key.begin(), key.end());
  std::vector<const google::protobuf::RepeatedPtrField<v1::Value>*> keys = {&k};
  int64_t deleted = 0;
  SLUICE_RETURN_IF_ERROR(pool_->Transaction(
      [&](sql::Connection& con) {
        // Root first, like writes: the root row's lock orders concurrent
        // writers.
        deleted = DeleteByKeys(con, Qualified(lt->tables[0].name()),
                               lt->tables[0], keys);
        for (size_t t = lt->tables.size(); t-- > 1;) {
          DeleteByKeys(con, Qualified(lt->tables[t].name()), lt->tables[t],
                       keys);
        }
        return absl::OkStatus();
      },
      deadline));
  return deleted;
}

namespace {

// Reads one record by key and reassembles it; nullopt when missing.
std::optional<std::string> ReadRecord(
    sql::Connection& con, const ListenerTables& lt,
    const std::function<std::string(const std::string&)>& qualified,
    const std::vector<v1::Value>& key) {
  const v1::Table& root = lt.tables[0];
  mapping::StoredRecord stored;
  {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        absl::StrCat("SELECT * FROM ", qualified(root.name()), " WHERE ",
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
        "SELECT * FROM ", qualified(table.name()), " WHERE ",
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

// The root key from the first columns of a result row (selected in key
// order).
google::protobuf::RepeatedPtrField<v1::Value> ReadKey(
    sql::ResultSet& rs, const ListenerTables& lt) {
  google::protobuf::RepeatedPtrField<v1::Value> key;
  for (size_t k = 0; k < lt.key_columns.size(); ++k) {
    *key.Add() = ReadValue(rs, static_cast<int>(k) + 1,
                           lt.tables[0].columns(lt.key_columns[k]));
  }
  return key;
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

absl::StatusOr<std::string> DataStore::GetRecord(
    const std::string& listener_uuid, const std::vector<v1::Value>& key) {
  SLUICE_ASSIGN_OR_RETURN(std::shared_ptr<const ListenerTables> lt,
                          Tables(listener_uuid));
  std::optional<std::string> record;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
    record = ReadRecord(
        con, *lt, [this](const std::string& t) { return Qualified(t); }, key);
    return absl::OkStatus();
  }));
  if (!record) {
    return WithErrorCode(
        absl::NotFoundError(absl::StrCat("no record with key ", Describe(key))),
        "record_not_found");
  }
  return *std::move(record);
}

absl::StatusOr<v1::ListRecordsResponse> DataStore::ListRecords(
    const v1::ListRecordsRequest& request) {
  SLUICE_ASSIGN_OR_RETURN(std::shared_ptr<const ListenerTables> lt,
                          Tables(request.listener_uuid()));
  int limit = request.limit() <= 0 ? 50 : std::min(request.limit(), 1000);
  std::vector<v1::Value> after;
  if (!request.page_token().empty() &&
      (!DecodePageToken(request.page_token(), &after) ||
       after.size() != lt->key_columns.size())) {
    return InvalidArgumentError("invalid_page_token",
                                "pageToken is not one this API returned");
  }
  const v1::Table& root = lt->tables[0];
  std::vector<std::string> key_names;
  for (int c : lt->key_columns)
    key_names.push_back(QuoteIdentifier(root.columns(c).name()));
  std::string keys = absl::StrJoin(key_names, ", ");
  std::vector<std::string> marks(key_names.size(), "?");
  std::string sql =
      absl::StrCat("SELECT ", keys, " FROM ", Qualified(root.name()));
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
      google::protobuf::RepeatedPtrField<v1::Value> key = ReadKey(*rs, *lt);
      page.emplace_back(key.begin(), key.end());
    }
    bool more = page.size() > static_cast<size_t>(limit);
    if (more) page.pop_back();
    for (const auto& key : page) {
      auto record = ReadRecord(
          con, *lt, [this](const std::string& t) { return Qualified(t); }, key);
      if (record) response.add_records()->set_json(*std::move(record));
    }
    if (more) response.set_next_page_token(EncodePageToken(page.back()));
    return absl::OkStatus();
  }));
  return response;
}

absl::StatusOr<int64_t> DataStore::Purge(
    const std::string& listener_uuid, int64_t cutoff_micros, int batch_size,
    int64_t max_records, bool* done,
    std::chrono::system_clock::time_point deadline) {
  if (done != nullptr) *done = false;
  SLUICE_ASSIGN_OR_RETURN(std::shared_ptr<const ListenerTables> lt,
                          Tables(listener_uuid));
  if (batch_size <= 0) batch_size = 500;
  const v1::Table& root = lt->tables[0];
  std::vector<std::string> key_names;
  for (int c : lt->key_columns)
    key_names.push_back(QuoteIdentifier(root.columns(c).name()));
  int64_t total = 0;
  while (true) {
    int64_t deleted = 0;
    SLUICE_RETURN_IF_ERROR(pool_->Transaction([&](sql::Connection& con) {
      deleted = 0;
      std::unique_ptr<sql::PreparedStatement> st(
          con.prepareStatement(absl::StrCat(
              "SELECT ", absl::StrJoin(key_names, ", "), " FROM ",
              Qualified(root.name()),
              " WHERE `lastModified` < ? ORDER BY `lastModified` LIMIT ",
              batch_size, " FOR UPDATE")));
      st->setString(1, mapping::FormatSqlDatetime(cutoff_micros));
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
      std::vector<google::protobuf::RepeatedPtrField<v1::Value>> keys;
      while (rs->next()) {
        keys.push_back(ReadKey(*rs, *lt));
      }
      std::vector<const google::protobuf::RepeatedPtrField<v1::Value>*> refs;
      for (const auto& k : keys) refs.push_back(&k);
      if (refs.empty()) return absl::OkStatus();
      for (size_t t = lt->tables.size(); t-- > 1;) {
        DeleteByKeys(con, Qualified(lt->tables[t].name()), lt->tables[t], refs);
      }
      deleted = DeleteByKeys(con, Qualified(root.name()), root, refs);
      return absl::OkStatus();
    }));
    total += deleted;
    if (deleted < batch_size) {
      if (done != nullptr) *done = true;
      break;
    }
    if (max_records > 0 && total >= max_records) break;
    if (std::chrono::system_clock::now() >= deadline) break;
  }
  return total;
}

}  // namespace sluice
