#include "services/storage/log_store.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/mapping/json_path.h"
#include "common/mapping/timestamp.h"
#include "common/mysql/mysql_pool.h"
#include "common/status/status_macros.h"

namespace sluice {
namespace {

constexpr int kMaxListed = 1000;
// Paths and errors are kept up to this many bytes.
constexpr size_t kMaxTextBytes = 4096;
// Rows per INSERT statement (14 parameters each).
constexpr int kRowsPerInsert = 200;

constexpr const char* kColumns =
    "id, time_us, integration_uuid, listener_uuid, listener_name, method, "
    "path, status, error, latency_ms, bytes, replayable, replay_of";

int64_t Micros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

void ReadEntry(sql::ResultSet& rs, v1::LogEntry* e) {
  e->set_id(rs.getInt64(1));
  int64_t us = rs.getInt64(2);
  e->mutable_time()->set_seconds(us / 1000000);
  e->mutable_time()->set_nanos(static_cast<int32_t>(us % 1000000) * 1000);
  e->set_integration_uuid(rs.getString(3).asStdString());
  e->set_listener_uuid(rs.getString(4).asStdString());
  e->set_listener_name(rs.getString(5).asStdString());
  e->set_method(rs.getString(6).asStdString());
  e->set_path(rs.getString(7).asStdString());
  e->set_status(rs.getInt(8));
  e->set_error(rs.getString(9).asStdString());
  e->set_latency_ms(rs.getInt64(10));
  e->set_bytes(rs.getInt64(11));
  e->set_replayable(rs.getBoolean(12));
  e->set_replay_of(rs.getInt64(13));
}

}  // namespace

std::vector<std::vector<std::string>> LogStore::Migrations() {
  return {{
      "CREATE TABLE IF NOT EXISTS webhook_logs ("
      " id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
      " time_us BIGINT NOT NULL,"
      " integration_uuid CHAR(36) NOT NULL,"
      " listener_uuid CHAR(36) NOT NULL,"
      " listener_name VARCHAR(255) NOT NULL,"
      " method VARCHAR(16) NOT NULL,"
      " path TEXT NOT NULL,"
      " status INT NOT NULL,"
      " error TEXT NOT NULL,"
      " latency_ms BIGINT NOT NULL,"
      " bytes BIGINT NOT NULL,"
      " replayable BOOLEAN NOT NULL,"
      " replay_of BIGINT NOT NULL DEFAULT 0,"
      " body LONGBLOB NULL,"
      " headers LONGBLOB NULL,"
      " KEY listener (listener_uuid, id),"
      " KEY integration (integration_uuid, listener_name, id)"
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
  }};
}

absl::StatusOr<int64_t> LogStore::Append(
    const v1::AppendLogsRequest& request,
    const std::function<bool(const std::string&)>& exists) {
  std::vector<const v1::LogEntry*> kept;
  std::set<std::string> listeners;
  for (const v1::LogEntry& e : request.entries()) {
    if (listeners.count(e.listener_uuid()) == 0 && !exists(e.listener_uuid()))
      continue;
    listeners.insert(e.listener_uuid());
    kept.push_back(&e);
  }
  if (kept.empty()) return 0;
  SLUICE_RETURN_IF_ERROR(pool_->Transaction([&](sql::Connection& con) {
    for (size_t begin = 0; begin < kept.size(); begin += kRowsPerInsert) {
      size_t end = std::min(kept.size(), begin + kRowsPerInsert);
      std::vector<std::string> rows(end - begin,
                                    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
      std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
          absl::StrCat("INSERT INTO webhook_logs (time_us, integration_uuid, "
                       "listener_uuid, listener_name, method, path, status, "
                       "error, latency_ms, bytes, replayable, replay_of, "
                       "body, headers) VALUES ",
                       absl::StrJoin(rows, ","))));
      std::vector<std::unique_ptr<std::istringstream>> blobs;
      int p = 1;
      for (size_t i = begin; i < end; ++i) {
        const v1::LogEntry& e = *kept[i];
        st->setInt64(p++, Micros(e.time()));
        st->setString(p++, mapping::FitUtf8(e.integration_uuid(), 36));
        st->setString(p++, mapping::FitUtf8(e.listener_uuid(), 36));
        st->setString(p++, mapping::FitUtf8(e.listener_name(), 255));
        st->setString(p++, mapping::FitUtf8(e.method(), 16));
        st->setString(p++, mapping::FitUtf8(e.path(), kMaxTextBytes));
        st->setInt(p++, e.status());
        st->setString(p++, mapping::FitUtf8(e.error(), kMaxTextBytes));
        st->setInt64(p++, e.latency_ms());
        st->setInt64(p++, e.bytes());
        st->setBoolean(p++, e.replayable());
        st->setInt64(p++, e.replay_of());
        if (e.replayable()) {
          v1::LogEntry headers;
          *headers.mutable_headers() = e.headers();
          blobs.push_back(std::make_unique<std::istringstream>(e.body()));
          st->setBlob(p++, blobs.back().get());
          blobs.push_back(
              std::make_unique<std::istringstream>(headers.SerializeAsString()));
          st->setBlob(p++, blobs.back().get());
        } else {
          st->setNull(p++, 0);
          st->setNull(p++, 0);
        }
      }
      st->executeUpdate();
    }
    // Back to the newest `keep` per listener.
    std::unique_ptr<sql::PreparedStatement> trim(con.prepareStatement(
        "DELETE FROM webhook_logs WHERE listener_uuid = ? AND id < ("
        " SELECT id FROM (SELECT id FROM webhook_logs WHERE listener_uuid = ?"
        " ORDER BY id DESC LIMIT 1 OFFSET ?) AS oldest_kept)"));
    for (const std::string& listener : listeners) {
      trim->setString(1, listener);
      trim->setString(2, listener);
      trim->setInt(3, keep_ - 1);
      trim->executeUpdate();
    }
    return absl::OkStatus();
  }));
  return static_cast<int64_t>(kept.size());
}

absl::StatusOr<v1::ListLogsResponse> LogStore::List(
    const v1::ListLogsRequest& request) {
  int limit = request.limit() <= 0 ? kMaxListed
                                   : std::min(request.limit(), kMaxListed);
  std::vector<std::string> where;
  if (!request.integration_uuid().empty())
    where.push_back("integration_uuid = ?");
  if (!request.listener_name().empty()) where.push_back("listener_name = ?");
  if (request.state() == "success") where.push_back("status < 400");
  if (request.state() == "error") where.push_back("status >= 400");
  v1::ListLogsResponse response;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        absl::StrCat("SELECT ", kColumns, " FROM webhook_logs",
                     where.empty() ? "" : " WHERE ",
                     absl::StrJoin(where, " AND "),
                     " ORDER BY id DESC LIMIT ", limit)));
    int p = 1;
    if (!request.integration_uuid().empty())
      st->setString(p++, request.integration_uuid());
    if (!request.listener_name().empty())
      st->setString(p++, request.listener_name());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    while (rs->next()) ReadEntry(*rs, response.add_entries());
    return absl::OkStatus();
  }));
  return response;
}

absl::StatusOr<v1::LogEntry> LogStore::Get(int64_t id) {
  v1::LogEntry entry;
  bool found = false;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(
        con.prepareStatement(absl::StrCat("SELECT ", kColumns,
                                          ", body, headers FROM webhook_logs "
                                          "WHERE id = ?")));
    st->setInt64(1, id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return absl::OkStatus();
    found = true;
    ReadEntry(*rs, &entry);
    if (!rs->isNull(14)) entry.set_body(rs->getString(14).asStdString());
    if (!rs->isNull(15)) {
      v1::LogEntry headers;
      if (headers.ParseFromString(rs->getString(15).asStdString()))
        *entry.mutable_headers() = headers.headers();
    }
    return absl::OkStatus();
  }));
  if (!found) return absl::NotFoundError("no such log entry");
  return entry;
}

absl::Status LogStore::DeleteListener(const std::string& listener_uuid) {
  return pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "DELETE FROM webhook_logs WHERE listener_uuid = ?"));
    st->setString(1, listener_uuid);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

}  // namespace sluice
