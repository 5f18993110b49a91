/** Who is calling, as loaded from the database for each request. */
export interface Principal {
  personId: string;
  name: string;
  mobile: string;
  /** Set when the person is a registered resident (they hold a points account). */
  resident: { id: string; townshipId: string; townshipName: string; branchId: string; branchName: string } | null;
  /** Townships this person administers (TOWNSHIP_ADMIN). */
  adminOf: string[];
  /** Branches this person manages (BRANCH_MANAGER). */
  managerOf: { townshipId: string; branchId: string }[];
  /** Branches whose points shop this person keeps (SHOPKEEPER); absent means none. */
  shopkeeperOf?: { townshipId: string; branchId: string }[];
}
