ALTER TABLE "dnc" ADD COLUMN "id" bigserial NOT NULL;--> statement-breakpoint
ALTER TABLE "dnc" ADD COLUMN "purpose" text;--> statement-breakpoint
CREATE UNIQUE INDEX "dnc_id_uq" ON "dnc" USING btree ("id");