package org.pgwarden.adapter.quartz;

import java.time.Instant;
import java.time.ZoneId;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TimeZone;
import java.util.concurrent.ConcurrentHashMap;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobRunner;
import org.pgwarden.job.JobScheduler;
import org.pgwarden.job.JobTrigger;
import org.quartz.CronScheduleBuilder;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.quartz.impl.StdSchedulerFactory;

/**
 * {@link JobScheduler} on Quartz with the in-memory job store. Quartz only decides <em>when</em>;
 * each fire calls {@link JobRunner#run}, the boundary that cannot throw, so a failing job never
 * disturbs Quartz's threads.
 */
public final class QuartzJobScheduler implements JobScheduler {
    private static final String GROUP = "pgwarden";
    private static final String FIRES = "pgwarden.fires";

    private final Scheduler scheduler;
    private final JobRunner runner;
    private final Map<String, Runnable> fires = new ConcurrentHashMap<>();

    public QuartzJobScheduler(String instanceName, JobRunner runner, int threads) {
        this.runner = runner;
        Properties p = new Properties();
        p.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_NAME, "pgwarden-" + instanceName);
        p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(threads));
        p.setProperty("org.quartz.threadPool.threadNamePrefix", "pgwarden-job");
        p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
        // A fire later than this counts as missed and follows the trigger's misfire policy.
        p.setProperty("org.quartz.jobStore.misfireThreshold", "30000");
        try {
            scheduler = new StdSchedulerFactory(p).getScheduler();
            scheduler.getContext().put(FIRES, fires);
        } catch (SchedulerException e) {
            throw new PgwardenException(ErrorCode.INTERNAL, "unable to create the scheduler: " + e.getMessage(), e);
        }
    }

    @Override
    public void schedule(Job job, String cron, ZoneId zone) {
        schedule(job.kind(), cron, zone, () -> runner.run(job, JobTrigger.SCHEDULE));
    }

    @Override
    public void schedule(String kind, String cron, ZoneId zone, Runnable fire) {
        fires.put(kind, fire);
        JobDetail detail = JobBuilder.newJob(Bridge.class).withIdentity(kind, GROUP).build();
        Trigger trigger = TriggerBuilder.newTrigger().withIdentity(kind, GROUP)
                .withSchedule(CronScheduleBuilder.cronSchedule(cron).inTimeZone(TimeZone.getTimeZone(zone))
                        // Missed fires collapse into one run now.
                        .withMisfireHandlingInstructionFireAndProceed())
                .build();
        try {
            scheduler.scheduleJob(detail, trigger);
        } catch (SchedulerException | RuntimeException e) {
            throw new PgwardenException(ErrorCode.CONFIG_INVALID, "unable to schedule '" + kind + "' with '"
                    + cron + "': " + e.getMessage(), e);
        }
    }

    @Override
    public void start() {
        try {
            scheduler.start();
        } catch (SchedulerException e) {
            throw new PgwardenException(ErrorCode.INTERNAL, "unable to start the scheduler: " + e.getMessage(), e);
        }
    }

    @Override
    public void stopTriggers() {
        try {
            scheduler.standby();
        } catch (SchedulerException e) {
            throw new PgwardenException(ErrorCode.INTERNAL, "unable to pause the scheduler: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Instant> nextFireTime(String kind) {
        try {
            Trigger t = scheduler.getTrigger(TriggerKey.triggerKey(kind, GROUP));
            return Optional.ofNullable(t).map(Trigger::getNextFireTime).map(Date::toInstant);
        } catch (SchedulerException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        try {
            // Running jobs were already cancelled by the daemon; do not wait for Quartz threads.
            scheduler.shutdown(false);
        } catch (SchedulerException e) {
            throw new PgwardenException(ErrorCode.INTERNAL, "unable to shut the scheduler down: " + e.getMessage(), e);
        }
    }

    /** Quartz instantiates this per fire; it hands over to the fire's action, which runs the job through the runner. */
    public static final class Bridge implements org.quartz.Job {
        @Override
        public void execute(JobExecutionContext ctx) {
            try {
                @SuppressWarnings("unchecked")
                Map<String, Runnable> all = (Map<String, Runnable>) ctx.getScheduler().getContext().get(FIRES);
                JobKey key = ctx.getJobDetail().getKey();
                Runnable fire = all.get(key.getName());
                if (fire != null) {
                    fire.run();
                }
            } catch (SchedulerException | RuntimeException e) {
                // The action cannot be reached or failed outside the runner; nothing else can report this fire.
                org.slf4j.LoggerFactory.getLogger(QuartzJobScheduler.class)
                        .error("scheduled fire of '{}' failed: {}", ctx.getJobDetail().getKey(), e.toString());
            }
        }
    }
}
