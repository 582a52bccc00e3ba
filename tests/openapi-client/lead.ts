// A lead registered and read back through the client that
// @hey-api/openapi-ts generated from jiandud's /v1/openapi.json (into gen/,
// by tests/integration/t_openapi_client.sh).  Compiled by tsc in strict
// mode, so the generated types must hold: the required fields of a lead, the
// path and query parameters, the error body.  Prints one JSON line.
import { createClient } from './gen/client';
import { casesLeadsAdd, casesLeadsShow } from './gen/sdk.gen';
import type { ApiError } from './gen/types.gen';

const env = (name: string): string => {
	const v = process.env[name];
	if (!v) throw new Error(`${name} is not set`);
	return v;
};

// The instance's CA comes in through NODE_EXTRA_CA_CERTS: TLS is verified.
const client = createClient({ baseUrl: env('JD_API'), auth: env('JD_TOKEN') });
const tenant = env('JD_TENANT');
const marker = env('JD_MARKER');

// Never called: tsc refuses it when the generated types lost a required field.
export function typesHold(): void {
	// @ts-expect-error subject_name and allegation are required
	void casesLeadsAdd({ client, body: { tenant, source: 'audit', unit: 'ag1' } });
	// @ts-expect-error the lead's id is a path parameter
	void casesLeadsShow({ client, query: { tenant } });
}

const codeOf = (e: ApiError | undefined): string => e?.error.code ?? '-';

// No answer at all (TLS refused, connection refused): what fetch said, and why.
function answered(what: string, r: { response?: Response; error?: unknown }): void {
	if (r.response !== undefined) return;
	const e = r.error as { message?: string; cause?: { message?: string } } | undefined;
	throw new Error(`${what}: no answer: ${e?.message ?? String(e)}: ${e?.cause?.message ?? '-'}`);
}

async function main(): Promise<void> {
	const added = await casesLeadsAdd({
		client,
		body: {
			tenant,
			source: 'letters_visits',
			unit: 'ag1',
			received: '2026-01-05',
			subject_name: `王某${marker}`,
			subject_post: '局长',
			allegation: `收受礼金 ${marker}`,
		},
	});
	answered('register', added);
	if (added.error !== undefined || added.data === undefined)
		throw new Error(`register: ${added.response.status} ${codeOf(added.error)}`);
	const id = String(added.data.id);

	const shown = await casesLeadsShow({ client, path: { id }, query: { tenant } });
	if (shown.error !== undefined || shown.data === undefined)
		throw new Error(`read: ${shown.response.status} ${codeOf(shown.error)}`);
	const subjects = shown.data.subjects as Array<{ name?: string }>;

	const missing = await casesLeadsShow({ client, path: { id: '0'.repeat(32) }, query: { tenant } });
	const refused = await casesLeadsAdd({
		client,
		body: { tenant, source: 'rumour', unit: 'ag1', subject_name: 'x', allegation: 'y' },
	});
	console.log(JSON.stringify({
		id,
		state: added.data.state,
		status: added.response.status,
		read_state: shown.data.state,
		subject: subjects[0]?.name,
		allegation: shown.data.allegation,
		missing_status: missing.response.status,
		missing_code: codeOf(missing.error),
		refused_status: refused.response.status,
		refused_message: refused.error?.error.message,
	}));
}

main().catch((e: unknown) => {
	console.error(`lead.ts: ${e instanceof Error ? e.message : String(e)}`);
	process.exit(1);
});
