-- Server-side sessions replace the revocation list and the per-user session version: a session
-- is a row, and ending one deletes it.

-- DropIndex
DROP INDEX "RevokedSession_expiresAt_idx";

-- DropTable
DROP TABLE "RevokedSession";

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "ipAddress" TEXT,
    "userAgent" TEXT,
    CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- AlterTable (written by hand: the schema engine rebuilds "User" by copying it into a new table;
-- DROP COLUMN reaches the same schema without copying or dropping the table ApiToken points at)
ALTER TABLE "User" DROP COLUMN "sessionVersion";

-- CreateIndex
CREATE INDEX "Session_userId_idx" ON "Session"("userId");

-- CreateIndex
CREATE INDEX "Session_expiresAt_idx" ON "Session"("expiresAt");
