#include "services/retention/retention_manager.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <random>

#include "absl/strings/str_cat.h"

#include "common/mysql/mysql_pool.h"
#include "common/rpc/rpc.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"

namespace sluice {

namespace {

std::string UniqueHolder() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  std::random_device random;
  return absl::StrCat(host, ":", getpid(), ":", absl::Hex(random()));
}

}  // namespace

RetentionManager::RetentionManager(MySqlPool* pool,
                                   v1::StorageService::StubInterface* storage,
                                   Options options)
    : pool_(pool), storage_(storage), options_(std::move(options)) {
  if (options_.holder.empty()) options_.holder = UniqueHolder();
  // Storage must stop a purge call before the lease could run out.
  options_.lease = std::max(options_.lease, std::chrono::milliseconds(300));
}

RetentionManager::~RetentionManager() { Stop(); }

std::vector<std::vector<std::string>> RetentionManager::Migrations() {
  return {{
              "CREATE TABLE IF NOT EXISTS policies ("
              " listener_uuid CHAR(36) NOT NULL PRIMARY KEY,"
              " retention_seconds BIGINT NOT NULL,"
              " last_run DATETIME(6) NULL,"
              " deleted_total BIGINT NOT NULL DEFAULT 0"
              ") ENGINE=InnoDB",
          },
          {
              "ALTER TABLE policies"
              " ADD COLUMN IF NOT EXISTS lease_holder VARCHAR(255) NULL,"
              " ADD COLUMN IF NOT EXISTS lease_expires DATETIME(6) NULL",
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

absl::StatusOr<bool> RetentionManager::Lease(const std::string& listener_uuid,
                                             const std::string& holder) {
  int updated = 0;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "UPDATE policies SET lease_holder = ?,"
        " lease_expires = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND"
        " WHERE listener_uuid = ? AND (lease_holder IS NULL OR lease_holder = ?"
        " OR lease_expires < UTC_TIMESTAMP(6))"));
    st->setString(1, holder);
    st->setInt64(2, std::chrono::duration_cast<std::chrono::microseconds>(
                        options_.lease)
                        .count());
    st->setString(3, listener_uuid);
    st->setString(4, holder);
    updated = st->executeUpdate();
    return absl::OkStatus();
  }));
  return updated == 1;
}

void RetentionManager::Release(const std::string& listener_uuid,
                               const std::string& holder) {
  (void)pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "UPDATE policies SET lease_holder = NULL, lease_expires = NULL"
        " WHERE listener_uuid = ? AND lease_holder = ?"));
    st->setString(1, listener_uuid);
    st->setString(2, holder);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> RetentionManager::PurgeLeased(
    const std::string& listener_uuid, int64_t retention_seconds,
    const std::string& holder) {
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
  request.set_batch_size(options_.batch_size);
  request.set_max_records(options_.records_per_call);
  int64_t total = 0;
  absl::Status failed;
  for (bool first = true;; first = false) {
    // The lease was taken just before the first call; renew it before each
    // later one, and stop if another replica has it now.
    if (!first) {
      auto held = Lease(listener_uuid, holder);
      if (!held.ok()) {
        failed = held.status();
        break;
      }
      if (!*held) break;
    }
    v1::PurgeResponse response;
    // Storage stops at this deadline (between transactions), well inside
    // the lease.
    auto context =
        ContextWithDeadline(options_.lease / 3, /*wait_for_ready=*/true);
    absl::Status s =
        FromGrpcStatus(storage_->Purge(context.get(), request, &response));
    if (!s.ok()) {
      failed = s;
      break;
    }
    total += response.deleted();
    if (response.done() || response.deleted() == 0) break;
  }
  (void)pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(
        con.prepareStatement("UPDATE policies SET last_run = UTC_TIMESTAMP(6), "
                             "deleted_total = deleted_total + ?"
                             " WHERE listener_uuid = ?"));
    st->setInt64(1, total);
    st->setString(2, listener_uuid);
    st->executeUpdate();
    return absl::OkStatus();
  });
  // After a failed call storage may still be finishing a transaction: the
  // lease then runs out instead of being handed on at once.
  if (failed.ok()) Release(listener_uuid, holder);
  if (!failed.ok() && total == 0) return failed;
  return total;
}

absl::StatusOr<int64_t> RetentionManager::RunNow(
    const std::string& listener_uuid, std::chrono::milliseconds wait) {
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
  auto deadline = std::chrono::steady_clock::now() + wait;
  const std::string holder = NextHolder();
  while (true) {
    SLUICE_ASSIGN_OR_RETURN(bool held, Lease(listener_uuid, holder));
    if (held) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::UnavailableError(
          "another retention replica is purging this listener; retry");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return PurgeLeased(listener_uuid, retention_seconds, holder);
}

absl::StatusOr<int64_t> RetentionManager::RunDue() {
  std::vector<std::pair<std::string, int64_t>> due;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "SELECT listener_uuid, retention_seconds FROM policies"
        " WHERE (last_run IS NULL OR last_run <= UTC_TIMESTAMP(6) - INTERVAL"
        "  LEAST(GREATEST(retention_seconds * 1000000 DIV 90, 500000),"
        "  60000000) MICROSECOND)"
        " AND (lease_holder IS NULL OR lease_expires < UTC_TIMESTAMP(6))"));
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    while (rs->next())
      due.emplace_back(rs->getString(1).asStdString(), rs->getInt64(2));
    return absl::OkStatus();
  }));
  int64_t total = 0;
  for (const auto& [uuid, seconds] : due) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
    }
    const std::string holder = NextHolder();
    auto held = Lease(uuid, holder);
    if (!held.ok() || !*held) continue;  // another purge has it
    auto deleted = PurgeLeased(uuid, seconds, holder);
    if (deleted.ok()) {
      total += *deleted;
    } else {
      spdlog::warn("msg=\"purge failed\" listener={} error=\"{}\"", uuid,
                   std::string(deleted.status().message()));
    }
  }
  return total;
}

void RetentionManager::StartScheduler(std::chrono::milliseconds tick) {
  scheduler_ = std::thread([this, tick] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, tick, [this] { return stopping_; })) {
      lock.unlock();
      auto deleted = RunDue();
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
