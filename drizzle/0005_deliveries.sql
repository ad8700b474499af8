CREATE TABLE "deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"lead_id" bigint,
	"destination" text NOT NULL,
	"event" text NOT NULL,
	"route" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"payload" jsonb,
	"state" text DEFAULT 'queued' NOT NULL,
	"attempt_count" integer DEFAULT 0 NOT NULL,
	"uncertain" boolean DEFAULT false NOT NULL,
	"dialer_lead_id" text,
	"last_outcome" text,
	"last_answer" text,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"claim_token" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "deliveries_event_ck" CHECK ("deliveries"."event" in ('insert', 'update', 'dnc')),
	CONSTRAINT "deliveries_state_ck" CHECK ("deliveries"."state" in ('queued', 'delivered', 'refused', 'dead', 'fanout'))
);
--> statement-breakpoint
CREATE TABLE "delivery_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"delivery_id" bigint NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"request" jsonb NOT NULL,
	"status" integer,
	"answer" text,
	"outcome" text NOT NULL,
	"latency_ms" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "destination_pacing" (
	"destination" text PRIMARY KEY NOT NULL,
	"next_send_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_lead_id_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."leads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delivery_attempts" ADD CONSTRAINT "delivery_attempts_delivery_id_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "deliveries_due_idx" ON "deliveries" USING btree ("destination","next_attempt_at","id") WHERE "deliveries"."state" = 'queued';--> statement-breakpoint
CREATE INDEX "deliveries_in_flight_idx" ON "deliveries" USING btree ("destination","lease_until") WHERE "deliveries"."lease_until" is not null;--> statement-breakpoint
CREATE INDEX "deliveries_fanout_idx" ON "deliveries" USING btree ("id") WHERE "deliveries"."state" = 'fanout';--> statement-breakpoint
CREATE INDEX "deliveries_lead_idx" ON "deliveries" USING btree ("lead_id","destination","id");--> statement-breakpoint
CREATE INDEX "deliveries_created_idx" ON "deliveries" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "delivery_attempts_delivery_idx" ON "delivery_attempts" USING btree ("delivery_id","id");--> statement-breakpoint
-- Every DNC addition, by any path (admin, Convoso, duplicate-check, dispositions), leaves a fan-out
-- row in the same statement; the delivery worker splits it per destination forwarding `dnc`.
CREATE FUNCTION leadgate_dnc_fanout() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO deliveries (destination, event, state, payload)
  SELECT '*', 'dnc', 'fanout', jsonb_build_object('e164', n.e164, 'campaignId', n.campaign_id, 'reason', n.reason)
  FROM dnc_added n;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER dnc_forward AFTER INSERT ON dnc REFERENCING NEW TABLE AS dnc_added FOR EACH STATEMENT EXECUTE FUNCTION leadgate_dnc_fanout();
