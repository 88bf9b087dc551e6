#include "services/retention/retention_manager.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <spdlog/spdlog.h>

#include "common/mysql/mysql_pool.h"
#include "common/rpc/rpc.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"

namespace sluice {

RetentionManager::~RetentionManager() { Stop(); }

std::vector<std::vector<std::string>> RetentionManager::Migrations() {
  return {{
      "CREATE TABLE IF NOT EXISTS policies ("
      " listener_uuid CHAR(36) NOT NULL PRIMARY KEY,"
      " retention_seconds BIGINT NOT NULL,"
      " last_run DATETIME(6) NULL,"
      " deleted_total BIGINT NOT NULL DEFAULT 0"
      ") ENGINE=InnoDB",
  }};
}

absl::Status RetentionManager::SetPolicy(const std::string& listener_uuid,
                                         int64_t retention_seconds) {
  if (retention_seconds <= 0) return DeletePolicy(listener_uuid);
  return pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "INSERT INTO policies (listener_uuid, retention_seconds) VALUES (?, ?)"
        " ON DUPLICATE KEY UPDATE retention_seconds = "
        "VALUES(retention_seconds)"));
    st->setString(1, listener_uuid);
    st->setInt64(2, retention_seconds);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status RetentionManager::DeletePolicy(const std::string& listener_uuid) {
  return pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(
        con.prepareStatement("DELETE FROM policies WHERE listener_uuid = ?"));
    st->setString(1, listener_uuid);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> RetentionManager::Purge(
    const std::string& listener_uuid, int64_t retention_seconds) {
  v1::PurgeRequest request;
  request.set_listener_uuid(listener_uuid);
  auto cutoff = std::chrono::system_clock::now() -
                std::chrono::seconds(retention_seconds);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    cutoff.time_since_epoch())
                    .count();
  request.mutable_cutoff()->set_seconds(micros / 1000000);
  request.mutable_cutoff()->set_nanos(static_cast<int32_t>(micros % 1000000) *
                                      1000);
  request.set_batch_size(500);
  v1::PurgeResponse response;
  auto context =
      ContextWithDeadline(std::chrono::minutes(5), /*wait_for_ready=*/true);
  SLUICE_RETURN_IF_ERROR(
      FromGrpcStatus(storage_->Purge(context.get(), request, &response)));
  (void)pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(
        con.prepareStatement("UPDATE policies SET last_run = UTC_TIMESTAMP(6), "
                             "deleted_total = deleted_total + ?"
                             " WHERE listener_uuid = ?"));
    st->setInt64(1, response.deleted());
    st->setString(2, listener_uuid);
    st->executeUpdate();
    return absl::OkStatus();
  });
  return response.deleted();
}

absl::StatusOr<int64_t> RetentionManager::RunNow(
    const std::string& listener_uuid) {
  int64_t retention_seconds = 0;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "SELECT retention_seconds FROM policies WHERE listener_uuid = ?"));
    st->setString(1, listener_uuid);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (rs->next()) retention_seconds = rs->getInt64(1);
    return absl::OkStatus();
  }));
  if (retention_seconds <= 0) return 0;
  return Purge(listener_uuid, retention_seconds);
}

absl::StatusOr<int64_t> RetentionManager::RunAll() {
  std::vector<std::pair<std::string, int64_t>> policies;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "SELECT listener_uuid, retention_seconds FROM policies"));
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    while (rs->next())
      policies.emplace_back(rs->getString(1).asStdString(), rs->getInt64(2));
    return absl::OkStatus();
  }));
  int64_t total = 0;
  for (const auto& [uuid, seconds] : policies) {
    auto deleted = Purge(uuid, seconds);
    if (deleted.ok()) {
      total += *deleted;
    } else {
      spdlog::warn("msg=\"purge failed\" listener={} error=\"{}\"", uuid,
                   std::string(deleted.status().message()));
    }
  }
  return total;
}

void RetentionManager::StartScheduler(std::chrono::seconds interval) {
  scheduler_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, interval, [this] { return stopping_; })) {
      lock.unlock();
      auto deleted = RunAll();
      if (deleted.ok() && *deleted > 0)
        spdlog::info("msg=\"retention purged\" records={}", *deleted);
      lock.lock();
    }
  });
}

void RetentionManager::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
}

}  // namespace sluice
