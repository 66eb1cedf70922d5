import { Link } from 'wouter';

/** The one "not found" a missing or malformed id shows (no other request is made for it). */
export function NotFound({ what, id }: { what: string; id?: string }) {
  return (
    <section className="card not-found" data-testid="not-found">
      <h1>Not found</h1>
      <p>
        No {what}
        {id ? (
          <>
            {' '}
            <code>{id}</code>
          </>
        ) : null}{' '}
        here: it may belong to another tenant, or the link is wrong.
      </p>
      <p>
        <Link href="/">Back to the overview</Link>
      </p>
    </section>
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A malformed id names nothing: no need to ask the server. */
export const isUuid = (id: string) => UUID.test(id);
