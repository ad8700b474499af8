CREATE TABLE "call_records" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"lead_id" bigint NOT NULL,
	"disposition" text,
	"changes" jsonb NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "decision_records" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"lead_id" bigint,
	"phone" text,
	"entry_point" text NOT NULL,
	"connect" text,
	"request" jsonb,
	"crm_status" integer,
	"latency_ms" integer,
	"answer" text,
	"matched_row" integer,
	"values" jsonb,
	"outcome" text NOT NULL,
	"decision" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dnc" (
	"e164" text NOT NULL,
	"campaign_id" integer DEFAULT 0 NOT NULL,
	"reason" text,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dnc_pk" PRIMARY KEY("e164","campaign_id")
);
--> statement-breakpoint
CREATE TABLE "idempotency_records" (
	"key" text PRIMARY KEY NOT NULL,
	"request_hash" text NOT NULL,
	"status" integer,
	"headers" jsonb,
	"body" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "leads" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"template_id" integer NOT NULL,
	"campaign_id" integer NOT NULL,
	"allocation_id" integer NOT NULL,
	"external_id" text,
	"status" text,
	"disposition" text,
	"callback_at" timestamp with time zone,
	"priority" smallint DEFAULT 10 NOT NULL,
	"contact_hours" text NOT NULL,
	"fields" jsonb NOT NULL,
	"phones" text[] NOT NULL,
	"state" text DEFAULT 'active' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "leads_state_ck" CHECK ("leads"."state" in ('active', 'closed', 'reallocated')),
	CONSTRAINT "leads_priority_ck" CHECK ("leads"."priority" between 0 and 100)
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"delivery_id" text NOT NULL,
	"kind" text NOT NULL,
	"target" text,
	"payload" jsonb NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outbox_delivery_id_unique" UNIQUE("delivery_id")
);
--> statement-breakpoint
CREATE TABLE "phone_claims" (
	"scope" text NOT NULL,
	"e164" text NOT NULL,
	"lead_id" bigint NOT NULL,
	CONSTRAINT "phone_claims_pk" PRIMARY KEY("scope","e164")
);
--> statement-breakpoint
ALTER TABLE "call_records" ADD CONSTRAINT "call_records_lead_id_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."leads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "phone_claims" ADD CONSTRAINT "phone_claims_lead_id_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."leads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "call_records_lead_idx" ON "call_records" USING btree ("lead_id","id");--> statement-breakpoint
CREATE INDEX "decision_records_phone_idx" ON "decision_records" USING btree ("phone","created_at");--> statement-breakpoint
CREATE INDEX "decision_records_created_idx" ON "decision_records" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "idempotency_expires_idx" ON "idempotency_records" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "leads_campaign_external_id_uq" ON "leads" USING btree ("campaign_id","external_id") WHERE "leads"."external_id" is not null and "leads"."state" <> 'reallocated';--> statement-breakpoint
CREATE INDEX "leads_allocation_idx" ON "leads" USING btree ("allocation_id","id");--> statement-breakpoint
CREATE INDEX "leads_phones_gin" ON "leads" USING gin ("phones");--> statement-breakpoint
CREATE INDEX "leads_created_at_idx" ON "leads" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "outbox_due_idx" ON "outbox" USING btree ("next_attempt_at") WHERE "outbox"."delivered_at" is null;--> statement-breakpoint
CREATE INDEX "phone_claims_lead_idx" ON "phone_claims" USING btree ("lead_id");