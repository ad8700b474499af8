CREATE TABLE "dedupe_backfills" (
	"template_id" integer NOT NULL,
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"after_lead_id" bigint DEFAULT 0 NOT NULL,
	"until_lead_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"done_at" timestamp with time zone,
	CONSTRAINT "dedupe_backfills_pk" PRIMARY KEY("template_id","scope","key")
);
--> statement-breakpoint
CREATE TABLE "key_claims" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"value" text NOT NULL,
	"lead_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "key_claims_pk" PRIMARY KEY("scope","key","value")
);
--> statement-breakpoint
ALTER TABLE "decision_records" ADD COLUMN "matched_on" text;--> statement-breakpoint
ALTER TABLE "decision_records" ADD COLUMN "matched_lead_id" bigint;--> statement-breakpoint
ALTER TABLE "phone_claims" ADD COLUMN "created_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "key_claims" ADD CONSTRAINT "key_claims_lead_id_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."leads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "key_claims_lead_idx" ON "key_claims" USING btree ("lead_id");--> statement-breakpoint
-- Existing phone claims count from their lead's creation, as new ones do (a window needs it).
UPDATE "phone_claims" AS c SET "created_at" = l."created_at" FROM "leads" AS l WHERE l."id" = c."lead_id";--> statement-breakpoint
-- Raised by the insert statement of one lead when a checked claim is held by a lead inside the
-- window: the whole statement (the lead row, its other claims) rolls back. Reads the holder with a
-- fresh snapshot, so it also names a holder committed after the statement started.
CREATE FUNCTION leadgate_refuse_duplicate(p_key text, p_scope text, p_value text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  holder bigint;
BEGIN
  IF p_key = 'phone' THEN
    SELECT lead_id INTO holder FROM phone_claims WHERE scope = p_scope AND e164 = p_value;
  ELSE
    SELECT lead_id INTO holder FROM key_claims WHERE scope = p_scope AND key = p_key AND value = p_value;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'LG105', MESSAGE = 'duplicate lead (' || p_key || ')',
    DETAIL = json_build_object('matchedOn', p_key, 'matchedLeadId', holder::text)::text;
END
$$;
