import { Query } from '@nestjs/cqrs';
import type { AdjustmentPage } from '../routing.view.js';
import type { ListAdjustmentsQuery } from './list-adjustments.dto.js';

export interface ListAdjustmentsProps {
  tenantId: string;
  /** Filters, `limit` and the previous page's `cursor`, as `GET /routing/adjustments` takes them. */
  query: ListAdjustmentsQuery;
}

/** A page of the tenant's routing adjustments, newest first. */
export interface ListAdjustments extends ListAdjustmentsProps {}
export class ListAdjustments extends Query<AdjustmentPage> {
  constructor(props: ListAdjustmentsProps) {
    super();
    Object.assign(this, props);
  }
}
