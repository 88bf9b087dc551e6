#include "services/storage/record_writer.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/crypto.h"
#include "common/mapping/json_path.h"
#include "common/mapping/timestamp.h"
#include "common/mysql/mysql_pool.h"
#include "common/mysql/statement_cache.h"
#include "common/status/error_code.h"
#include "common/status/status_macros.h"
#include "services/storage/sql_values.h"

namespace sluice {
namespace {

using nlohmann::ordered_json;

// Rows per multi-row statement, the placeholder budget per statement (MySQL
// allows 65535), and the bytes of values per statement: well inside the
// server's max_allowed_packet (16 MiB by default) however large the records
// a group brings together.
constexpr size_t kMaxRowsPerStatement = 128;
constexpr size_t kMaxPlaceholders = 60000;
constexpr size_t kMaxStatementBytes = 4 << 20;
// The time a write must have left when its group starts: the pool's commit
// margin (1 s) and time for the group's statements.
constexpr std::chrono::milliseconds kDeadlineReserve(2000);

// What a row's values add to a statement, about.
size_t RowBytes(const v1::Row& row) {
  size_t bytes = 0;
  for (const v1::Value& v : row.values()) {
    bytes += 16 + (v.has_string_value() ? v.string_value().size()
                   : v.has_json_value() ? v.json_value().size()
                                        : 0);
  }
  return bytes;
}

bool IsLastModified(const v1::Column& c) {
  return c.source() == v1::COLUMN_SOURCE_LAST_MODIFIED;
}

std::string KeyString(const RecordKey& key) {
  std::string out;
  for (const auto& v : key) {
    std::string bytes = v.SerializeAsString();
    absl::StrAppend(&out, bytes.size(), ":", bytes);
  }
  return out;
}

// Deletes the rows of `table` belonging to any of `keys`.
int64_t DeleteByKeys(
    sql::Connection& con, const std::string& qualified, const v1::Table& table,
    const std::vector<const RecordKey*>&
        keys) {
  int64_t deleted = 0;
  const std::vector<std::string> columns = KeyColumns(table);
  const std::string predicate = KeyPredicate(table);
  for (size_t start = 0; start < keys.size(); start += kMaxRowsPerStatement) {
    size_t end = std::min(keys.size(), start + kMaxRowsPerStatement);
    // A one-column key is an IN list, which the server plans as one range
    // lookup per value; composite keys are ORs of their columns.
    std::string where;
    if (columns.size() == 1) {
      std::vector<std::string> marks(end - start, "?");
      where = absl::StrCat(columns[0], " IN (", absl::StrJoin(marks, ", "), ")");
    } else {
      std::vector<std::string> ors(end - start, predicate);
      where = absl::StrJoin(ors, " OR ");
    }
    std::unique_ptr<sql::PreparedStatement> owned;
    sql::PreparedStatement* st = PrepareCached(
        con, absl::StrCat("DELETE FROM ", qualified, " WHERE ", where), &owned);
    int index = 1;
    for (size_t k = start; k < end; ++k) {
      for (const v1::Value& v : *keys[k]) BindValue(st, index++, v);
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
  for (size_t start = 0, end = 0; start < rows.size(); start = end) {
    size_t bytes = 0;
    end = start;
    while (end < rows.size() && end - start < per_statement) {
      size_t row = RowBytes(*rows[end]);
      if (end > start && bytes + row > kMaxStatementBytes) break;
      bytes += row;
      ++end;
    }
    std::vector<std::string> tuples(end - start, tuple);
    std::string sql = absl::StrCat("INSERT INTO ", qualified, " (",
                                   absl::StrJoin(names, ", "), ") VALUES ",
                                   absl::StrJoin(tuples, ", "));
    if (upsert && !updates.empty()) {
      absl::StrAppend(&sql, " ON DUPLICATE KEY UPDATE ",
                      absl::StrJoin(updates, ", "));
    }
    std::unique_ptr<sql::PreparedStatement> owned;
    sql::PreparedStatement* st = PrepareCached(con, sql, &owned);
    int index = 1;
    for (size_t r = start; r < end; ++r) {
      for (int c : bound) BindValue(st, index++, rows[r]->values(c));
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

// Upserts `records` (in order: a key repeated wins with its last
// occurrence) with one set of multi-row statements.
void UpsertRecords(sql::Connection& con, const TableCatalog& catalog,
                   const ListenerTables& lt,
                   const std::vector<const v1::Record*>& records) {
  // A key repeated within one request: the last occurrence wins, as if
  // the records had been sent one after another.
  // Records are written in key order (the map's), so concurrent batches
  // lock rows in the same order and rarely deadlock.
  std::map<std::string, size_t> last;
  for (size_t r = 0; r < records.size(); ++r)
    last[KeyString(records[r]->key())] = r;
  std::vector<const RecordKey*> keys;
  std::vector<std::vector<const v1::Row*>> rows(lt.tables.size());
  for (const auto& [key, r] : last) {
    const v1::Record& record = *records[r];
    keys.push_back(&record.key());
    for (const v1::TableRows& tr : record.tables()) {
      int t = lt.index.at(tr.table());
      for (const v1::Row& row : tr.rows()) rows[t].push_back(&row);
    }
  }
  if (keys.empty()) return;
  // The root upsert comes first: it locks each record's root row (new or
  // existing) until commit, so writers of the same record take turns.
  // Under READ COMMITTED there are no gap locks; without this, two
  // writers could both delete a record's children and then collide
  // inserting the new ones.
  InsertRows(con, catalog.Qualified(lt.tables[0].name()), lt.tables[0], rows[0],
             /*upsert=*/true);
  for (size_t t = 1; t < lt.tables.size(); ++t) {
    DeleteByKeys(con, catalog.Qualified(lt.tables[t].name()), lt.tables[t], keys);
  }
  for (size_t t = 1; t < lt.tables.size(); ++t) {
    if (!rows[t].empty()) {
      InsertRows(con, catalog.Qualified(lt.tables[t].name()), lt.tables[t],
                 rows[t], false);
    }
  }
}

// Applies the PATCH `request`, record by record: only the fields present
// change; NOT_FOUND (record_not_found) for a record that does not exist.
absl::Status PatchRecords(sql::Connection& con, const TableCatalog& catalog,
                          const ListenerTables& lt,
                          const v1::WriteRequest& request) {
  const v1::Table& root = lt.tables[0];
  const std::string root_name = catalog.Qualified(root.name());
  for (int r = 0; r < request.records_size(); ++r) {
    const v1::Record& record = request.records(r);
    std::vector<v1::Value> key(record.key().begin(), record.key().end());
    // Lock the record and read the unknown fields the PATCH merges into.
    const int extra_column = lt.extra_column;
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
                "records[", r, "]: no record with key ", DescribeKey(key))),
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
        int column_index = lt.columns[0].at(root_rows->columns(c));
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
        const v1::Table& table = lt.tables[lt.index.at(name)];
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
    std::vector<const RecordKey*> keys = {
        &record.key()};
    for (const std::string& name : record.replaced_tables()) {
      int t = lt.index.at(name);
      DeleteByKeys(con, catalog.Qualified(name), lt.tables[t], keys);
    }
    for (const v1::TableRows& tr : record.tables()) {
      int t = lt.index.at(tr.table());
      if (t == 0) continue;
      std::vector<const v1::Row*> rows;
      for (const v1::Row& row : tr.rows()) rows.push_back(&row);
      InsertRows(con, catalog.Qualified(tr.table()), lt.tables[t], rows, false);
    }
  }
  return absl::OkStatus();
}

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

// Checks every record against the known tables before anything touches the
// database: names and shapes come from the edge, not from trust.
absl::Status Validate(const ListenerTables& lt,
                      const v1::WriteRequest& request) {
  const bool patch = request.mode() == v1::WRITE_MODE_PATCH;
  for (int r = 0; r < request.records_size(); ++r) {
    const v1::Record& record = request.records(r);
    if (record.key_size() != static_cast<int>(lt.key_columns.size())) {
      return Invalid(r, "the key does not match the table's primary key");
    }
    for (const v1::TableRows& rows : record.tables()) {
      auto t = lt.index.find(rows.table());
      if (t == lt.index.end())
        return Invalid(r, absl::StrCat("unknown table \"", rows.table(), "\""));
      const v1::Table& table = lt.tables[t->second];
      size_t width =
          rows.columns_size() > 0 ? rows.columns_size() : table.columns_size();
      for (const std::string& name : rows.columns()) {
        if (!lt.columns[t->second].count(name)) {
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
      auto t = lt.index.find(name);
      if (t == lt.index.end() || t->second == 0) {
        return Invalid(r, absl::StrCat("unknown child table \"", name, "\""));
      }
    }
  }

  return absl::OkStatus();
}

// Errors that leave the transaction usable and belong to one write (a value
// the column refuses, a table dropped under it): that write is rolled back
// to its savepoint, the rest of the group goes on. Deadlocks, lock waits and
// lost or refusing servers end the whole transaction (and are retried).
bool IsOneWritesError(const sql::SQLException& e) {
  switch (e.getErrorCode()) {
    case 0:
    case 1020:  // record changed since last read: InnoDB rolled back
    case 1205:  // lock wait timeout
    case 1206:  // lock table full: InnoDB rolled back
    case 1213:  // deadlock: InnoDB rolled back
    case 1305:  // the savepoint is gone with the transaction
      return false;
    default:
      return !IsConnectionError(e.getErrorCode()) &&
             !IsServerRefusal(e.getErrorCode());
  }
}

}  // namespace

RecordWriter::RecordWriter(MySqlPool* pool, TableCatalog* catalog,
                           Options options)
    : pool_(pool),
      catalog_(catalog),
      commit_([this](const std::vector<PendingWrite*>& group) {
        WriteGroup(group);
      }, [](PendingWrite* p) { p->done(); }, options.group) {}

std::vector<std::string> RecordWriter::Migration() {
  return {
      "CREATE TABLE IF NOT EXISTS idempotency_keys ("
      " listener_uuid CHAR(36) NOT NULL,"
      " key_sha256 BINARY(32) NOT NULL,"
      " records BIGINT NOT NULL,"
      " created DATETIME(6) NOT NULL,"
      " PRIMARY KEY (listener_uuid, key_sha256),"
      " KEY created (created)"
      ") ENGINE=InnoDB",
  };
}

absl::StatusOr<PendingWrite> RecordWriter::Prepare(
    const v1::WriteRequest& request,
    std::chrono::system_clock::time_point deadline) {
  SLUICE_ASSIGN_OR_RETURN(auto tables, catalog_->Tables(request.listener_uuid()));
  return Prepare(request, std::move(tables), deadline);
}

absl::StatusOr<PendingWrite> RecordWriter::Prepare(
    const v1::WriteRequest& request,
    std::shared_ptr<const ListenerTables> tables,
    std::chrono::system_clock::time_point deadline) {
  PendingWrite p;
  p.tables = std::move(tables);
  SLUICE_RETURN_IF_ERROR(Validate(*p.tables, request));
  p.request = &request;
  p.deadline = deadline;
  if (!request.idempotency_key().empty())
    p.key_sha256 = crypto::Sha256(request.idempotency_key());
  return p;
}

absl::StatusOr<v1::WriteResponse> RecordWriter::Write(
    const v1::WriteRequest& request,
    std::chrono::system_clock::time_point deadline) {
  SLUICE_ASSIGN_OR_RETURN(auto tables, catalog_->Tables(request.listener_uuid()));
  std::mutex mu;
  std::condition_variable cv;
  std::optional<absl::StatusOr<v1::WriteResponse>> outcome;
  WriteAsync(request, std::move(tables), deadline,
             [&](absl::StatusOr<v1::WriteResponse> result) {
               std::lock_guard<std::mutex> lock(mu);
               outcome = std::move(result);
               cv.notify_one();
             });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return outcome.has_value(); });
  return *std::move(outcome);
}

void RecordWriter::WriteAsync(const v1::WriteRequest& request,
                              std::shared_ptr<const ListenerTables> tables,
                              std::chrono::system_clock::time_point deadline,
                              Done done) {
  auto prepared = Prepare(request, std::move(tables), deadline);
  if (!prepared.ok()) return done(prepared.status());
  auto* write = new PendingWrite(*std::move(prepared));
  write->done = [write, done] {
    std::unique_ptr<PendingWrite> owned(write);
    done(owned->TakeOutcome());
  };
  if (!Enqueue(write)) {
    delete write;
    done(absl::UnavailableError(
        "storage has more writes queued than it takes; nothing was written"));
  }
}

bool RecordWriter::Enqueue(PendingWrite* write) {
  return commit_.Enqueue(
      write, static_cast<size_t>(std::max(1, write->request->records_size())));
}

void RecordWriter::WriteGroup(const std::vector<PendingWrite*>& group) {
  // The group commits by the earliest deadline among its writes, and the
  // pool commits nothing within a second of that: a write too close to its
  // caller's deadline is not started, so that it cannot make the rest of the
  // group miss its commit.
  const auto latest_start =
      std::chrono::system_clock::now() + kDeadlineReserve;
  std::vector<PendingWrite*> live;
  auto deadline = std::chrono::system_clock::time_point::max();
  for (PendingWrite* p : group) {
    if (p->deadline <= latest_start) {
      p->status = absl::UnavailableError(
          "the request's deadline passed before commit; nothing was written");
      continue;
    }
    live.push_back(p);
    deadline = std::min(deadline, p->deadline);
  }
  if (live.empty()) return;
  absl::Status status = pool_->Transaction(
      [&](sql::Connection& con) -> absl::Status {
        // Upserts without an idempotency key, per listener, share statements.
        std::map<const ListenerTables*, std::vector<PendingWrite*>> shared;
        std::vector<PendingWrite*> one_by_one;
        for (PendingWrite* p : live) {
          p->status = absl::OkStatus();
          p->response.Clear();
          if (p->request->mode() != v1::WRITE_MODE_PATCH &&
              p->key_sha256.empty()) {
            shared[p->tables.get()].push_back(p);
          } else {
            one_by_one.push_back(p);
          }
        }
        std::unique_ptr<sql::Statement> control(con.createStatement());
        for (auto& [lt, writes] : shared) {
          if (writes.size() > 1) {
            std::vector<const v1::Record*> records;
            for (PendingWrite* p : writes) {
              for (const v1::Record& record : p->request->records())
                records.push_back(&record);
            }
            control->execute("SAVEPOINT sluice_write");
            try {
              UpsertRecords(con, *catalog_, *lt, records);
              for (PendingWrite* p : writes)
                p->response.set_records(p->request->records_size());
              continue;
            } catch (const sql::SQLException& e) {
              if (!IsOneWritesError(e)) throw;
              control->execute("ROLLBACK TO SAVEPOINT sluice_write");
            }
          }
          one_by_one.insert(one_by_one.end(), writes.begin(), writes.end());
        }
        for (PendingWrite* p : one_by_one) WriteOne(con, p);
        return absl::OkStatus();
      },
      deadline);
  int64_t committed = 0;
  for (PendingWrite* p : live) {
    if (!status.ok()) {
      p->status = status;
      p->response.Clear();
    } else if (p->status.ok() && !p->response.replayed()) {
      committed += p->response.records();
    }
  }
  if (status.ok() && on_commit_) on_commit_(committed);
}

void RecordWriter::WriteOne(sql::Connection& con, PendingWrite* p) {
  std::unique_ptr<sql::Statement> control(con.createStatement());
  control->execute("SAVEPOINT sluice_write");
  const v1::WriteRequest& request = *p->request;
  absl::Status status;
  try {
    std::optional<int64_t> earlier;
    if (!p->key_sha256.empty()) {
      earlier =
          ClaimIdempotencyKey(con, request.listener_uuid(), p->key_sha256);
    }
    if (earlier) {
      p->response.set_records(*earlier);
      p->response.set_replayed(true);
    } else {
      if (request.mode() == v1::WRITE_MODE_PATCH) {
        status = PatchRecords(con, *catalog_, *p->tables, request);
      } else {
        std::vector<const v1::Record*> records;
        for (const v1::Record& record : request.records())
          records.push_back(&record);
        UpsertRecords(con, *catalog_, *p->tables, records);
      }
      if (status.ok()) {
        p->response.set_records(request.records_size());
        if (!p->key_sha256.empty()) {
          RecordIdempotencyKey(con, request.listener_uuid(), p->key_sha256,
                               request.records_size());
        }
      }
    }
  } catch (const sql::SQLException& e) {
    if (!IsOneWritesError(e)) throw;
    if (e.getErrorCode() == 1146) {
      catalog_->Forget(request.listener_uuid());
      status = absl::NotFoundError("the listener's tables do not exist");
    } else {
      status = StatusFromSqlException(e);
    }
  }
  if (!status.ok()) {
    control->execute("ROLLBACK TO SAVEPOINT sluice_write");
    p->response.Clear();
  }
  p->status = status;
}

absl::StatusOr<int64_t> RecordWriter::PurgeIdempotencyKeys() {
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

absl::StatusOr<int64_t> RecordWriter::Delete(
    const std::string& listener_uuid, const std::vector<v1::Value>& key,
    std::chrono::system_clock::time_point deadline) {
  SLUICE_ASSIGN_OR_RETURN(std::shared_ptr<const ListenerTables> lt,
                          catalog_->Tables(listener_uuid));
  if (key.size() != lt->key_columns.size()) {
    return absl::InvalidArgumentError(
        "the key does not match the table's primary key");
  }
  RecordKey k(key.begin(), key.end());
  std::vector<const RecordKey*> keys = {&k};
  int64_t deleted = 0;
  SLUICE_RETURN_IF_ERROR(pool_->Transaction(
      [&](sql::Connection& con) {
        // Root first, like writes: the root row's lock orders concurrent
        // writers.
        deleted = DeleteByKeys(con, catalog_->Qualified(lt->tables[0].name()),
                               lt->tables[0], keys);
        for (size_t t = lt->tables.size(); t-- > 1;) {
          DeleteByKeys(con, catalog_->Qualified(lt->tables[t].name()), lt->tables[t],
                       keys);
        }
        return absl::OkStatus();
      },
      deadline));
  return deleted;
}

absl::StatusOr<int64_t> RecordWriter::Purge(
    const std::string& listener_uuid, int64_t cutoff_micros, int batch_size,
    int64_t max_records, bool* done,
    std::chrono::system_clock::time_point deadline) {
  if (done != nullptr) *done = false;
  SLUICE_ASSIGN_OR_RETURN(std::shared_ptr<const ListenerTables> lt,
                          catalog_->Tables(listener_uuid));
  if (batch_size <= 0) batch_size = 500;
  const v1::Table& root = lt->tables[0];
  const std::vector<std::string> key_names = KeyColumns(root);
  int64_t total = 0;
  while (true) {
    int64_t deleted = 0;
    SLUICE_RETURN_IF_ERROR(pool_->Transaction([&](sql::Connection& con) {
      deleted = 0;
      std::unique_ptr<sql::PreparedStatement> st(
          con.prepareStatement(absl::StrCat(
              "SELECT ", absl::StrJoin(key_names, ", "), " FROM ",
              catalog_->Qualified(root.name()),
              " WHERE `lastModified` < ? ORDER BY `lastModified` LIMIT ",
              batch_size, " FOR UPDATE")));
      st->setString(1, mapping::FormatSqlDatetime(cutoff_micros));
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
      std::vector<RecordKey> keys;
      while (rs->next()) {
        keys.push_back(ReadKey(*rs, root, lt->key_columns));
      }
      std::vector<const RecordKey*> refs;
      for (const auto& k : keys) refs.push_back(&k);
      if (refs.empty()) return absl::OkStatus();
      for (size_t t = lt->tables.size(); t-- > 1;) {
        DeleteByKeys(con, catalog_->Qualified(lt->tables[t].name()), lt->tables[t], refs);
      }
      deleted = DeleteByKeys(con, catalog_->Qualified(root.name()), root, refs);
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
