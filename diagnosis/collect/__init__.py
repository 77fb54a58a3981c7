"""Reading AWS for a live diagnosis: the only package that calls AWS, in a few rounds of concurrent calls.

Once the target is found (`target.py`: which cluster, which region), a diagnosis reads in at most four
dependent rounds, however many calls each holds (all at once, so wall time is about rounds × latency):
1. the service and its stopped and running task lists (`service_tasks.py`);
2. the tasks, described 100 at a time, and the task definitions they ran (`service_tasks.py`);
3. and 4. exactly the evidence the candidate causes' checks need (`cause_evidence.py`), each need fetched
   by its `Source` (`plan.py` the shape, `sources.py`, `facts.py`, `revisions.py` and `exec.py` the
   collectors); round 4 holds what plans from round 3's answers (the VPC's routes after the subnets).
A service with more than one page of stopped tasks (100 a page) adds one round per later page, each asked
with the previous page's token (`stopped_pages.py`: no ListTasks filter splits them into chains that could
run side by side): those pages are read and parsed beside rounds 2–4, which start from the first page; once
every page is read the evidence is planned again and only what changed is fetched, in one more round.
`aws.py` runs a round: one boto3 session's clients, adaptive retries, call counting, and every failure
turned into a `Gap` that says what could not be read and which IAM action was missing.
"""
