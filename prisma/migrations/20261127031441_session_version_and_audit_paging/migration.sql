-- CreateTable
CREATE TABLE "RevokedSession" (
    "sessionId" TEXT NOT NULL PRIMARY KEY,
    "expiresAt" DATETIME NOT NULL
);

-- AlterTable (written by hand: the schema engine rebuilds "User" by copying it into a new table;
-- ADD COLUMN reaches the same schema without copying or dropping the table ApiToken points at)
ALTER TABLE "User" ADD COLUMN "sessionVersion" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "RevokedSession_expiresAt_idx" ON "RevokedSession"("expiresAt");

-- CreateIndex
CREATE INDEX "AuditEvent_createdAt_id_idx" ON "AuditEvent"("createdAt", "id");
