-- CreateTable
CREATE TABLE "UpgradeHistory" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "fromVersion" TEXT,
    "toVersion" TEXT NOT NULL,
    "migrationsJson" TEXT NOT NULL,
    "snapshotName" TEXT,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "UpgradeHistory_startedAt_idx" ON "UpgradeHistory"("startedAt");
