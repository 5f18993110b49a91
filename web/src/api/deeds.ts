import { graphql } from '../gql';
import { ApiError, NETWORK_MESSAGE } from './client';
import { session, signOut } from './session';


export const DeedSettingsQuery = graphql(`
  query DeedSettings($townshipId: ID!) {
    deedSettings(townshipId: $townshipId) { townshipId noticeDays kinds { id name points active } }
  }
`);

export const SaveDeedKindMutation = graphql(`
  mutation SaveDeedKind($input: SaveDeedKindInput!) {
    saveDeedKind(input: $input) { id name points active }
  }
`);

export const SetDeedNoticeDaysMutation = graphql(`
  mutation SetDeedNoticeDays($townshipId: ID!, $days: Int!) {
    setDeedNoticeDays(townshipId: $townshipId, days: $days) { noticeDays }
  }
`);

export const ReportDeedMutation = graphql(`
  mutation ReportDeed($input: ReportDeedInput!) {
    reportDeed(input: $input) { id status }
  }
`);

export const MyDeedReportsQuery = graphql(`
  query MyDeedReports($after: String) {
    myDeedReports(first: 20, after: $after) {
      edges { node { id status round points residentId residentName reportedByName kindName title description occurredAt photoUrl decisionReason decidedAt noticeEndsAt recheckReason mintedAt createdAt } }
      pageInfo { endCursor hasNextPage }
    }
  }
`);

export const BranchDeedReportsQuery = graphql(`
  query BranchDeedReports($branchId: ID!, $statuses: [DeedReportStatus!], $after: String) {
    branchDeedReports(branchId: $branchId, statuses: $statuses, first: 20, after: $after) {
      edges { node { id status round points residentId residentName reportedByName kindName title description occurredAt photoUrl decisionReason decidedAt noticeEndsAt recheckReason mintedAt createdAt } }
      pageInfo { endCursor hasNextPage }
    }
  }
`);

export const ReviewDeedMutation = graphql(`
  mutation ReviewDeed($input: ReviewDeedInput!) {
    reviewDeedReport(input: $input) { id status noticeEndsAt }
  }
`);

export const DeedNoticeQuery = graphql(`
  query DeedNotice($branchId: ID!) {
    deedNotice(branchId: $branchId) { id residentName kindName title description occurredAt points status decisionReason noticeEndsAt mine }
  }
`);

export const RequestRecheckMutation = graphql(`
  mutation RequestRecheck($input: DeedRecheckInput!) {
    requestDeedRecheck(input: $input) { id status }
  }
`);

export const ScoringGroupQuery = graphql(`
  query ScoringGroup($branchId: ID!) {
    scoringGroup(branchId: $branchId) { residentId personId name appointedAt }
  }
`);

export const AppointScorerMutation = graphql(`
  mutation AppointScorer($branchId: ID!, $residentId: ID!) {
    appointScorer(branchId: $branchId, residentId: $residentId) { residentId personId name appointedAt }
  }
`);

export const RemoveScorerMutation = graphql(`
  mutation RemoveScorer($branchId: ID!, $residentId: ID!) {
    removeScorer(branchId: $branchId, residentId: $residentId) { residentId personId name appointedAt }
  }
`);

/** The statuses as residents read them, with the tag's Vant type. */
export const DEED_STATUS: Record<string, { text: string; type: 'primary' | 'success' | 'warning' | 'danger' | 'default' }> = {
  PENDING: { text: '待评议', type: 'primary' },
  REJECTED: { text: '未通过', type: 'danger' },
  ON_NOTICE: { text: '公示中', type: 'warning' },
  RECHECK: { text: '复核中', type: 'warning' },
  MINTED: { text: '积分已到账', type: 'success' },
};

async function send(url: string, init: RequestInit): Promise<Response> {
  const headers = new Headers(init.headers);
  if (session.token) headers.set('authorization', `Bearer ${session.token}`);
  try {
    return await fetch(url, { ...init, headers });
  } catch {
    throw new ApiError('NETWORK_ERROR', NETWORK_MESSAGE);
  }
}

async function failure(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => null)) as { code?: string; message?: string } | null;
  if (body?.code === 'UNAUTHENTICATED') signOut();
  return new ApiError(body?.code ?? 'INTERNAL_SERVER_ERROR', body?.message ?? '出错了，请稍后再试');
}

/** Uploads a photo's bytes (the service decides its type from them); returns its id. */
export async function uploadDeedPhoto(file: Blob): Promise<string> {
  const response = await send('/deeds/photos', { method: 'POST', headers: { 'content-type': file.type || 'application/octet-stream' }, body: file });
  if (!response.ok) throw await failure(response);
  return ((await response.json()) as { photoId: string }).photoId;
}

/** A report's photo as an object URL (an <img> cannot send the bearer token); revoke it when done. */
export async function deedPhotoUrl(photoUrl: string): Promise<string> {
  const response = await send(photoUrl, {});
  if (!response.ok) throw await failure(response);
  return URL.createObjectURL(await response.blob());
}

